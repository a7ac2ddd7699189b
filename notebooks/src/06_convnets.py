# %% [markdown]
# # 6. Convolutional networks: convolution, pooling and LeNet
#
# A dense layer connects every pixel to every unit, so it has to learn separately that a stroke
# in the top-left corner and the same stroke one pixel to the right mean the same thing. A
# *convolution* slides one small set of weights (a kernel) over the whole input instead: the same
# detector is applied at every position, so it needs few weights and finds its pattern wherever it
# is. *Pooling* then shrinks the result, keeping the strongest (max) or the mean (average)
# response of each neighbourhood. In this notebook:
#
# 1. 1-D convolution on a signal and on a short text, as a loop and then with `autograd.conv1d`;
# 2. 2-D convolution on a digit with hand-made kernels (edges, blur, sharpen), and how stride,
#    padding and dilation set the output size;
# 3. 3-D convolution on a short "video", and `autograd.conv` in 4-D;
# 4. max and average pooling, and where the max-pool gradient goes;
# 5. LeNet trained on MNIST with `fit`: its accuracy, its learned filters and its feature maps;
# 6. a finite-difference check of a small conv + pool network, and the gradient of a convolution
#    written as another convolution.
#
# Run it from the repository root (or after `pip install -e .`). MNIST is read from
# `$LUCIDGRAD_DATA/mnist/` or the download cache. `LUCIDGRAD_NOTEBOOK_BUDGET=small` trains LeNet on
# 3,000 images for one epoch (seconds, about 80% on the test set); the full budget trains on all
# 60,000 images for 8 epochs and reaches about 99%, which takes about ten minutes.

# %%
import os
import time

import matplotlib.pyplot as plt
import numpy as np

import autograd
import nn
from autograd import Tensor
from nn import Sequential
from nn.data import to_categorical
from nn.layers import Conv2D, Dense, Flatten, MaxPool2D

SMALL = os.environ.get("LUCIDGRAD_NOTEBOOK_BUDGET", "full") == "small"
N_TRAIN = 3_000 if SMALL else 60_000   # training images for LeNet
EPOCHS = 1 if SMALL else 8
np.set_printoptions(precision=3, suppress=True)
nn.seed(0)   # initial weights and shuffling: reproducible runs

# %% [markdown]
# ## 1. Convolution in one dimension
#
# Take a sequence $x_0, x_1, \dots$ and a kernel $w_0, \dots, w_{k-1}$. The output at position
# $i$ is the dot product of the kernel with the piece of the sequence that starts at $i$:
#
# $$y_i = \sum_{j=0}^{k-1} w_j\, x_{i+j}.$$
#
# (Mathematicians call this *cross-correlation*; their convolution flips the kernel first.
# Deep-learning libraries all compute the unflipped version and still call it convolution: the
# kernel is learned, so whether it is stored flipped does not matter.)
#
# Our signal is a made-up recording: a slow oscillation that steps up halfway through, plus
# noise. Two kernels of five taps each: a *moving average*, which smooths the noise away, and a
# *difference* of the last two samples and the first two, which is near zero where the signal is
# flat and large where it jumps.

# %%
rng = np.random.default_rng(0)
t = np.linspace(0.0, 1.0, 200)
signal = (0.3 * np.sin(2 * np.pi * 3 * t) + 1.0 * (t > 0.5)
          + 0.1 * rng.standard_normal(t.size)).astype(np.float32)

smooth = np.full(5, 1 / 5, dtype=np.float32)
edge = np.array([-1, -1, 0, 1, 1], dtype=np.float32) / 2


def conv1d_loop(x, w):
    """'valid' 1-D cross-correlation, one output at a time: y[i] = sum_j w[j] * x[i + j]."""
    y = np.zeros(len(x) - len(w) + 1, dtype=x.dtype)
    for i in range(len(y)):
        for j in range(len(w)):
            y[i] += w[j] * x[i + j]
    return y


by_loop = np.stack([conv1d_loop(signal, smooth), conv1d_loop(signal, edge)])
print("two kernels on 200 samples give", by_loop.shape[1], "outputs each (200 - 5 + 1)")

# %% [markdown]
# `autograd.conv1d` does the same with arrays laid out *channels first*: the input is
# `(N, C_in, L)` (a batch of `N` sequences with `C_in` channels each) and the weight is
# `(C_out, C_in, k)`. Stacking our two kernels gives a weight with two output channels, so one
# call applies both, exactly what a `Conv1D(2, 5)` layer does. Given numpy arrays it returns a
# numpy array; given `Tensor`s it records the operation for `backward()`.

# %%
x = signal.reshape(1, 1, -1)                  # (N=1, C_in=1, L=200)
weight = np.stack([smooth, edge])[:, None, :]  # (C_out=2, C_in=1, k=5)
by_conv = autograd.conv1d(x, weight)
print("input", x.shape, "weight", weight.shape, "-> output", by_conv.shape)
print("same numbers as the loop:", np.allclose(by_conv[0], by_loop, atol=1e-6))
print("and as numpy's (flipping) convolution with the kernel reversed:",
      np.allclose(by_conv[0, 1], np.convolve(signal, edge[::-1], mode="valid"), atol=1e-6))

fig, axes = plt.subplots(3, 1, figsize=(9, 5.5), sharex=True)
axes[0].plot(t, signal, lw=1)
axes[0].set_title("signal")
axes[1].plot(t[2:-2], by_conv[0, 0], color="tab:green")
axes[1].set_title("moving average [1 1 1 1 1] / 5: the noise is smoothed away")
axes[2].plot(t[2:-2], by_conv[0, 1], color="tab:red")
axes[2].set_title("difference [-1 -1 0 1 1] / 2: large only where the signal jumps")
axes[2].set_xlabel("time")
for ax in axes:
    ax.grid(alpha=0.3)
plt.tight_layout()
plt.show()

# %% [markdown]
# Things to notice:
#
# * A 'valid' convolution only uses positions where the kernel fits entirely, so the output is
#   $k - 1 = 4$ samples shorter; the curves are drawn at the kernels' centres.
# * The difference kernel also wiggles with the oscillation: it responds to any slope, and the
#   step is simply the steepest one. A detector is only as specific as its kernel.
#
# With several input channels the kernel has one row per channel and the products are summed over
# the channels too. Text is a natural example: write each character as a one-hot vector (one
# channel per letter), and a kernel of width 3 with a 1 at (letter 't', position 0), ('h', 1) and
# ('e', 2) scores 3 exactly where the word "the" begins, and less everywhere else.

# %%
text = "the cat sat on the mat, then the rat ate the hat"
alphabet = sorted(set(text))
one_hot = np.zeros((1, len(alphabet), len(text)), dtype=np.float32)   # (N, C = letters, L)
one_hot[0, [alphabet.index(ch) for ch in text], np.arange(len(text))] = 1

the_detector = np.zeros((1, len(alphabet), 3), dtype=np.float32)      # (C_out, C_in, k)
for position, letter in enumerate("the"):
    the_detector[0, alphabet.index(letter), position] = 1

scores = autograd.conv1d(one_hot, the_detector)[0, 0]
print(text)
print("".join("^" if s == 3 else " " for s in scores))
print("scores:", scores.astype(int))

# %% [markdown]
# The detector fires at all five places where t-h-e appears, including the start of "then": a
# width-3 kernel cannot see the letter after. Recognising the word would take a wider kernel, or
# a second layer that combines this detector's output with others. Audio works the same way with
# one channel (the waveform) or many (the frequency bands of a spectrogram).
#
# ## 2. Convolution in two dimensions: what a kernel sees in an image
#
# In 2-D the kernel is a small grid of weights slid over both axes:
#
# $$y_{i,j} = \sum_{a,b} w_{a,b}\, x_{i+a,\,j+b}.$$
#
# We load MNIST (notebook 4 describes it) and take one digit as a `(1, 1, 28, 28)` batch: one image,
# one grey channel. Four classic 3×3 kernels go into one weight of shape `(4, 1, 3, 3)`:
#
# * **vertical edges** (a Sobel kernel): right column minus left column, so it responds where
#   brightness changes from left to right;
# * **horizontal edges**: the same turned by 90°, bottom row minus top row;
# * **blur**: a weighted average of the neighbourhood;
# * **sharpen**: five times the centre minus its four neighbours, which exaggerates differences.

# %%
(train_images, train_labels), (test_images, test_labels) = nn.data.load_mnist()
digit = test_images[0].astype(np.float32) / 255           # a 7
image = digit.reshape(1, 1, 28, 28)

kernels = {
    "vertical edges": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "horizontal edges": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "blur": [[1, 2, 1], [2, 4, 2], [1, 2, 1]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
}
bank = np.array(list(kernels.values()), dtype=np.float32)[:, None]   # (4, 1, 3, 3)
bank[2] /= bank[2].sum()                                             # blur: weights sum to 1
responses = autograd.conv2d(image, bank, padding="same")
print("image", image.shape, "kernels", bank.shape, "-> responses", responses.shape)

# one output pixel by hand, where the response is strongest: the kernel times the 3x3 patch
# around that pixel, summed
i, j = np.unravel_index(np.abs(responses[0, 0]).argmax(), digit.shape)
by_hand = np.sum(bank[0, 0] * digit[i - 1:i + 2, j - 1:j + 2])
print(f"vertical-edge response at ({i}, {j}): by hand {by_hand:.4f}, "
      f"conv2d {responses[0, 0, i, j]:.4f}")

fig, axes = plt.subplots(2, 5, figsize=(12, 5.8))
axes[0, 0].imshow(digit, cmap="gray_r")
axes[0, 0].set_title("input")
axes[1, 0].axis("off")
for col, (name, response) in enumerate(zip(kernels, responses[0]), start=1):
    kernel = bank[col - 1, 0]
    reach = np.abs(kernel).max()
    axes[0, col].imshow(kernel, cmap="RdBu_r", vmin=-reach, vmax=reach)
    axes[0, col].set_title(f"{name}\nkernel")
    limit = np.abs(response).max()
    signed = name.endswith("edges")
    axes[1, col].imshow(response, cmap="RdBu_r" if signed else "gray_r",
                        vmin=-limit if signed else None, vmax=limit if signed else None)
    axes[1, col].set_title("response")
for ax in axes.flat:
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle("hand-made 3x3 kernels (red positive, blue negative) and what they make of a 7")
plt.tight_layout()
plt.show()

# %% [markdown]
# Things to notice:
#
# * The vertical-edge kernel lights up on the left and right sides of each stroke, with opposite
#   signs (positive, red, where the ink starts as we go from left to right; negative, blue, where
#   it ends), and all but ignores the horizontal bar of the 7; the horizontal-edge kernel does the
#   opposite. Each kernel is a question asked at every pixel:
#   "is there a vertical edge here?".
# * A convolutional layer *learns* its kernels, and the first layer of a trained network ends up
#   with edge and stroke detectors much like these (section 5 shows it). The next layer convolves
#   those edge maps, so its kernels detect combinations of edges: corners, line ends, curves, and
#   textures made of them. Depth turns edges into parts.
#
# ### Stride, padding and dilation
#
# Three settings change where the kernel is placed:
#
# * **padding** adds zeros around the input. `'valid'` adds none, so each axis shrinks by
#   $k - 1$; `'same'` adds just enough to keep the size (for stride 1); an int pads both sides;
# * **stride** $s$ moves the kernel $s$ pixels at a time, dividing the output size by about $s$;
# * **dilation** $d$ spaces the taps $d$ pixels apart, so a 3×3 kernel covers 5×5 pixels with
#   $d = 2$ without more weights.
#
# With padding $p$ on each side, the size of each output axis is
#
# $$n_\text{out} = \left\lfloor \frac{n + 2p - d\,(k - 1) - 1}{s} \right\rfloor + 1,$$
#
# and `'same'` pads just enough to make $n_\text{out} = \lceil n / s \rceil$. The table checks the
# formula against the shapes `conv2d` actually returns for our 28×28 digit:

# %%
def output_size(n, k, stride=1, padding=0, dilation=1):
    """Length of one output axis of a convolution (padding: an int per side, 'valid' or 'same')."""
    if padding == "same":
        return -(-n // stride)
    if padding == "valid":
        padding = 0
    return (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1


settings = [(3, 1, "valid", 1), (3, 1, "same", 1), (3, 1, 1, 1), (5, 1, "valid", 1),
            (5, 1, "same", 1), (3, 2, "valid", 1), (3, 2, "same", 1), (5, 2, 2, 1),
            (3, 3, "valid", 1), (3, 1, "valid", 2), (3, 1, "same", 2), (3, 2, 2, 2)]
print(f"{'kernel':>6} {'stride':>6} {'padding':>8} {'dilation':>8} {'formula':>8} {'conv2d':>9}")
for k, s, p, d in settings:
    shape = autograd.conv2d(image, np.ones((1, 1, k, k), np.float32), stride=s, padding=p,
                            dilation=d).shape
    print(f"{k:>6} {s:>6} {str(p):>8} {d:>8} {output_size(28, k, s, p, d):>8} "
          f"{'x'.join(map(str, shape[2:])):>9}")

# %% [markdown]
# The same vertical-edge kernel under four of these settings. Stride 2 keeps every other
# position, so the map is a quarter of the size but still shows the strokes; dilation 2 compares
# pixels two apart, so it marks thicker edges.

# %%
variants = {"'valid'": dict(), "'same'": dict(padding="same"), "stride 2, 'same'":
            dict(stride=2, padding="same"), "dilation 2, 'same'": dict(dilation=2, padding="same")}
fig, axes = plt.subplots(1, 4, figsize=(11, 3.2))
for ax, (name, options) in zip(axes, variants.items()):
    response = autograd.conv2d(image, bank[:1], **options)[0, 0]
    limit = np.abs(response).max()
    ax.imshow(response, cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_title(f"{name}\n{response.shape[0]}x{response.shape[1]}")
    ax.axis("off")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 3. Three dimensions and beyond
#
# A 3-D convolution slides a box-shaped kernel over a volume: a CT scan (depth × height × width)
# or a video (time × height × width). Here is a short video: our 7 moving one pixel to the right
# in each of 8 frames (shifted with `np.roll`; the blank margins leave room, so nothing wraps
# around), as a batch of shape `(1, 1, 8, 28, 28)`.
#
# A kernel that spans two frames can see *change*. The simplest, $[-1, +1]$ along time (shape
# `(1, 1, 2, 1, 1)`), subtracts each frame from the next: still parts cancel, the leading edge of
# every moving stroke is positive and the trailing edge negative.

# %%
frames = 8
video = np.stack([np.roll(digit, shift - 4, axis=1) for shift in range(frames)])[None, None]
frame_difference = np.array([-1, 1], dtype=np.float32).reshape(1, 1, 2, 1, 1)
change = autograd.conv3d(video, frame_difference)
print("video", video.shape, "kernel", frame_difference.shape, "-> change", change.shape)

fig, axes = plt.subplots(2, 4, figsize=(10, 5))
for col, frame in enumerate((0, 2, 4, 6)):
    axes[0, col].imshow(video[0, 0, frame], cmap="gray_r")
    axes[0, col].set_title(f"frame {frame}")
    axes[1, col].imshow(change[0, 0, frame], cmap="RdBu_r", vmin=-1, vmax=1)
    axes[1, col].set_title(f"frame {frame + 1} - frame {frame}")
for ax in axes.flat:
    ax.axis("off")
plt.tight_layout()
plt.show()

# %% [markdown]
# A kernel that mixes time *and* space can tell directions apart. The kernel below takes a pixel
# in one frame minus the pixel one step to its right in the next frame (shape `(1, 1, 2, 1, 2)`).
# Anything moving right by one pixel per frame cancels exactly, while the same video played
# backwards (moving left) does not: the kernel is blind to one direction of motion, which no 2-D
# kernel looking at single frames can be.

# %%
motion = np.zeros((1, 1, 2, 1, 2), dtype=np.float32)
motion[0, 0, 0, 0, 0], motion[0, 0, 1, 0, 1] = 1, -1
for name, clip in [("moving right", video), ("moving left", video[:, :, ::-1])]:
    energy = np.sum(autograd.conv3d(clip, motion) ** 2)
    print(f"{name:13s} energy of the response: {energy:8.3f}")

# %% [markdown]
# Nothing in the computation depends on the number of spatial axes. `autograd.conv` accepts any
# number (`conv1d`, `conv2d` and `conv3d` only check it), so a 4-D convolution, say over a
# sequence of 3-D scans (time × depth × height × width), is the same call with one more axis:

# %%
x4 = rng.standard_normal((2, 3, 6, 7, 8, 9)).astype(np.float32)   # (N, C_in, T, D, H, W)
w4 = rng.standard_normal((4, 3, 3, 3, 3, 3)).astype(np.float32)   # (C_out, C_in, 3, 3, 3, 3)
y4 = autograd.conv(x4, w4)
print("4-D convolution:", x4.shape, "*", w4.shape, "->", y4.shape)
print("with stride 2 and 'same' padding:", autograd.conv(x4, w4, stride=2, padding="same").shape)

# one output element by hand: the kernel times the 3x3x3x3 block of every input channel, summed
o, (a, b, c, d) = 1, (2, 0, 4, 5)
block = x4[0, :, a:a + 3, b:b + 3, c:c + 3, d:d + 3]
print(f"y[0, {o}, {a}, {b}, {c}, {d}]: by hand {np.sum(w4[o] * block):.4f}, "
      f"conv {y4[0, o, a, b, c, d]:.4f}")

# %% [markdown]
# ## 4. Pooling: keeping the strongest or the mean response
#
# Pooling cuts the input into windows (usually 2×2, stride 2, so they do not overlap) and keeps
# one number per window: the **maximum** or the **average**. It has no weights. It halves each
# spatial axis, so the next layer's kernels cover twice the distance for the same cost, and it
# makes the features a little insensitive to exact positions: if a stroke moves by a pixel inside
# its window, the maximum does not change. A 4×4 example:

# %%
small = np.array([[1, 3, 2, 0],
                  [4, 2, 0, 1],
                  [0, 0, 5, 5],
                  [1, 2, 5, 6]], dtype=np.float32).reshape(1, 1, 4, 4)
print("input\n", small[0, 0])
print("max pool 2x2\n", autograd.max_pool(small, 2)[0, 0])
print("average pool 2x2\n", autograd.avg_pool(small, 2)[0, 0])
print("global average pool (one number per channel):", autograd.global_avg_pool(small))

# %% [markdown]
# On the digit, max pooling keeps the strokes bold, since a window is bright if *any* of its
# pixels is; average pooling keeps the mean, so thin strokes fade and edges go grey. In a network
# the inputs to pooling are feature maps, and the two read as "is the feature anywhere in this
# window?" (max) and "how much of it is there?" (average).

# %%
fig, axes = plt.subplots(1, 5, figsize=(12, 2.9))
pooled = [("input 28x28", digit)]
for size in (2, 4):
    pooled.append((f"max pool {size}x{size}", autograd.max_pool(image, size)[0, 0]))
    pooled.append((f"average pool {size}x{size}", autograd.avg_pool(image, size)[0, 0]))
for ax, (name, picture) in zip(axes, pooled):
    ax.imshow(picture, cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(f"{name}\n{picture.shape[0]}x{picture.shape[1]}")
    ax.axis("off")
plt.tight_layout()
plt.show()

# %% [markdown]
# ### Where the gradient goes
#
# Inside one window the maximum *is* one of the inputs, so its derivative is 1 for that input
# (the arg-max) and 0 for the others: the backward pass of max pooling routes each window's
# gradient to the single pixel that won. Average pooling spreads it evenly, $1/4$ to each pixel
# of a 2×2 window.
#
# Below, the gradient of the sum of the pooled digit with respect to the digit. Every 2×2 window
# sends a 1 to exactly one pixel. Where the strokes are, that is the brightest pixel of the
# window. In the blank background all four pixels tie at 0, and the **tie rule** decides: the
# first maximal pixel in row-major order (the top-left one here) gets the whole gradient, as in
# PyTorch. That is the regular grid of dots around the digit.

# %%
pixels = Tensor(image, requires_grad=True)
autograd.max_pool(pixels, 2).sum().backward()
max_grad = pixels.grad[0, 0]

pixels = Tensor(image, requires_grad=True)
autograd.avg_pool(pixels, 2).sum().backward()
avg_grad = pixels.grad[0, 0]

print(f"max pool: {int(max_grad.sum())} pixels receive gradient 1 (one per window: 14 x 14 = 196),"
      f" the other {int((max_grad == 0).sum())} receive 0")
print("average pool: every pixel receives", np.unique(avg_grad))

fig, axes = plt.subplots(1, 3, figsize=(10, 3.6))
axes[0].imshow(digit, cmap="gray_r")
axes[0].set_title("input")
axes[1].imshow(max_grad, cmap="gray_r")
axes[1].set_title("d sum(max_pool) / d input")
axes[2].imshow(avg_grad, cmap="gray_r", vmin=0, vmax=1)
axes[2].set_title("d sum(avg_pool) / d input")
for ax in axes:
    ax.axis("off")
plt.tight_layout()
plt.show()

# %% [markdown]
# The tie rule on a small window, and what happens when windows overlap (3×3 windows with stride
# 1): a pixel that is the maximum of several windows collects the gradient of each of them.

# %%
tied = Tensor(np.array([[[[1, 3], [3, 2]]]], dtype=np.float32), requires_grad=True)
autograd.max_pool(tied, 2).sum().backward()
print("window\n", tied.data[0, 0], "\ngradient: the first 3 in row-major order takes it all\n",
      tied.grad[0, 0])

peak = Tensor(small, requires_grad=True)
autograd.max_pool(peak, 3, stride=1).sum().backward()
print("\n3x3 windows, stride 1, over\n", small[0, 0])
print("maxima\n", autograd.max_pool(small, 3, stride=1)[0, 0])
print("gradient (how many windows each pixel wins)\n", peak.grad[0, 0])

# %% [markdown]
# In the second example three of the four windows contain the block of 5s, and in each of them the
# first 5 in row-major order wins: it collects a gradient of 3. The fourth window holds the 6, which
# collects 1. No other pixel receives anything.
#
# ## 5. LeNet on MNIST
#
# LeNet (Yann LeCun's network for reading digits, 1998) set the pattern most image classifiers
# still follow: convolution and pooling blocks that trade resolution for more feature maps, then
# dense layers that classify. Our version has ReLU activations and max pooling, as modern
# versions do:
#
# | layer | output (channels first) |
# |---|---|
# | `Conv2D(6, 5, padding='same', activation='relu')` | 6 × 28 × 28 |
# | `MaxPool2D(2)` | 6 × 14 × 14 |
# | `Conv2D(16, 5, activation='relu')` | 16 × 10 × 10 |
# | `MaxPool2D(2)` | 16 × 5 × 5 |
# | `Flatten()`, `Dense(120, relu)`, `Dense(84, relu)`, `Dense(10, softmax)` | 10 |
#
# Our layers are channels first, as in PyTorch: a batch of grey images is `(N, 1, 28, 28)` (Keras
# defaults to channels last, `(N, 28, 28, 1)`). The images are not flattened as in notebook 4:
# the convolutions need their 2-D layout.

# %%
x_train = train_images[:N_TRAIN, None].astype(np.float32) / 255   # (N, 1, 28, 28)
y_train = to_categorical(train_labels[:N_TRAIN])
x_test = test_images[:, None].astype(np.float32) / 255
y_test = to_categorical(test_labels)
print("x_train", x_train.shape, "y_train", y_train.shape, "x_test", x_test.shape)

model = Sequential([
    Conv2D(6, 5, padding="same", activation="relu", input_shape=(1, 28, 28)),
    MaxPool2D(2),
    Conv2D(16, 5, activation="relu"),
    MaxPool2D(2),
    Flatten(),
    Dense(120, activation="relu"),
    Dense(84, activation="relu"),
    Dense(10, activation="softmax"),
])
model.summary()
initial_filters = model[0].kernel.data.copy()

# %% [markdown]
# About 62,000 weights, most of them in the first dense layer; the two convolutions together have
# only 2,572. The MLP of notebook 4 had 407,050. Sharing each kernel across all positions is what
# makes convolutions so cheap in weights.
#
# Training is the usual `compile` and `fit` (Adam, 64 images per step). Each step runs the
# convolutions forward, and `backward()` runs their derivatives, which are convolutions too
# (section 6).

# %%
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
start = time.perf_counter()
history = model.fit(x_train, y_train, epochs=EPOCHS, batch_size=64, verbose=2)
train_seconds = time.perf_counter() - start

test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=500, verbose=0)
print(f"test accuracy {test_accuracy:.2%} (loss {test_loss:.4f}) after {EPOCHS} epoch(s) on "
      f"{N_TRAIN:,} images; training took {train_seconds:.0f} s")

# %% [markdown]
# With the full budget this reaches about **99%** on the test set, against 98% for the dense
# network of notebook 4, with less than a sixth of the weights. The small budget sees 3,000
# images once and lands near 80%.
#
# `nn.models.lenet` (the `cnn` model of `lucidgrad train`) is a wider variant of the same
# design with batch normalization and dropout.
#
# ### What the first layer learned
#
# The six 5×5 kernels of the first convolution, before and after training (red positive, blue
# negative). They start as random noise. Training smooths them into broad regions of one sign:
# look for kernels that are blue on one side and red on the other, detectors of edges at some
# orientation, relatives of the hand-made kernels of section 2. Small kernels trained for a few
# epochs stay somewhat noisy; wider networks trained longer show cleaner ones. (After the small
# budget's single short epoch they have barely moved from their random start.)

# %%
learned_filters = model[0].kernel.data
fig, axes = plt.subplots(2, 6, figsize=(11, 4))
for col in range(6):
    for row, filters in enumerate((initial_filters, learned_filters)):
        kernel = filters[col, 0]
        limit = np.abs(kernel).max()
        axes[row, col].imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
        axes[row, col].set_xticks([])
        axes[row, col].set_yticks([])
    axes[0, col].set_title(f"filter {col}")
axes[0, 0].set_ylabel("initial")
axes[1, 0].set_ylabel("trained")
plt.tight_layout()
plt.show()

# %% [markdown]
# ### Feature maps: the digit as the network sees it
#
# Running the layers one at a time on one test digit shows what each stage passes on: the first
# convolution's six maps (28×28), the same maps pooled (14×14), the second convolution's sixteen
# (10×10) and those pooled (5×5). The 16 × 5 × 5 = 400 numbers of the last stage are all the
# dense layers get to see.

# %%
def show_maps(maps, title, columns=8):
    """Draw a (channels, H, W) stack of feature maps as a grid of images."""
    columns = min(columns, len(maps))
    rows = -(-len(maps) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(1.35 * columns, 1.5 * rows + 0.4),
                             squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for index, (ax, feature_map) in enumerate(zip(axes.flat, maps)):
        ax.imshow(feature_map, cmap="magma")
        ax.set_title(str(index), fontsize=8)
    fig.suptitle(title)
    plt.tight_layout()
    plt.show()


model.eval()
sample = x_test[:1]
with autograd.no_grad():
    h = Tensor(sample)
    stages = []
    for layer in model:
        h = layer(h)
        if isinstance(layer, (Conv2D, MaxPool2D)):
            stages.append((type(layer).__name__, h.data[0]))

plt.figure(figsize=(2, 2))
plt.imshow(sample[0, 0], cmap="gray_r")
plt.title(f"input (label {test_labels[0]})")
plt.axis("off")
plt.show()
for name, maps in stages:
    show_maps(maps, f"after {name}: {maps.shape[0]} maps of {maps.shape[1]}x{maps.shape[2]}")

# %% [markdown]
# Things to notice (clearest after the full run):
#
# * The first convolution's maps are recognisably the digit, each lit up where its kernel's edge
#   direction matches: the vertical stroke in one, the top bar in another. Black means the ReLU
#   cut a negative response to zero.
# * Pooling halves the resolution but keeps the bright parts: the same maps, coarser.
# * The second convolution combines the six maps into sixteen that respond to larger, rarer
#   patterns (a corner, the end of a stroke), and at 5×5 they no longer look like a 7: they say
#   *which* features are present and *roughly where*.
#
# ## 6. Checking the gradients
#
# Every derivative above came from the engine: the VJPs of `conv`, `max_pool` and `avg_pool`. How
# do we know they are right? `autograd.gradcheck` compares them, in float64, with central finite
# differences for every input element. A tiny network that uses padding, dilation, stride, both
# poolings and a bias:

# %%
def tiny_net(x, w1, b1, w2):
    """conv (dilated, 'same') -> tanh -> max pool -> strided conv -> average pool."""
    h = autograd.tanh(autograd.conv2d(x, w1, b1, padding="same", dilation=2))   # (2, 3, 8, 8)
    h = autograd.max_pool(h, 2)                                                # (2, 3, 4, 4)
    h = autograd.conv2d(h, w2, stride=2)                                       # (2, 2, 2, 2)
    return autograd.avg_pool(h, 2)                                             # (2, 2, 1, 1)


inputs = [rng.standard_normal((2, 2, 8, 8)), rng.standard_normal((3, 2, 3, 3)),
          rng.standard_normal(3), rng.standard_normal((2, 3, 2, 2))]
print("gradcheck passes:", autograd.gradcheck(tiny_net, inputs))
print("elements checked:", sum(a.size for a in inputs))

# %% [markdown]
# The check passes for all 337 input elements. (Max pooling has no derivative exactly at a tie;
# with random inputs ties do not happen, and a nudge of $10^{-6}$ never changes which input wins.)
#
# Why is this a fair test of something non-trivial? The derivatives of a convolution are
# themselves convolutions. For $y = x \star w$ and an incoming gradient $g = \partial L/\partial y$:
#
# * $\partial L/\partial x$ is $g$ convolved, with 'full' padding ($k - 1$ on each side), with the
#   kernel *flipped* in both spatial axes and its input and output channels swapped: each input
#   pixel collects $g$ from every output whose window covered it, weighted by the tap it sat under;
# * $\partial L/\partial w$ is the input convolved with $g$ (batch and channels exchanging roles).
#
# Written out with `conv2d` itself, both agree with what `backward()` computes:

# %%
x = Tensor(rng.standard_normal((2, 2, 6, 6)), requires_grad=True)
w = Tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
g = rng.standard_normal((2, 3, 4, 4))              # the incoming gradient, shaped like conv(x, w)
(autograd.conv2d(x, w) * g).sum().backward()       # d/dx and d/dw of sum(g * conv(x, w))

flipped = w.data[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)        # (C_in, C_out, 3, 3)
dx = autograd.conv2d(g, flipped, padding=2)
dw = autograd.conv2d(x.data.transpose(1, 0, 2, 3), g.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
print("dL/dx as a convolution of g with the flipped kernel:", np.allclose(dx, x.grad))
print("dL/dw as a convolution of x with g:               ", np.allclose(dw, w.grad))

# %% [markdown]
# ## What to try next
#
# * Train LeNet with `AvgPool2D` instead of `MaxPool2D`, or with `strides=2` convolutions and no
#   pooling at all, and compare the test accuracy.
# * Remove the second convolution block: how much accuracy do the dense layers lose?
# * Replace `load_mnist` by `load_fashion_mnist` and look at the first-layer filters again: clothes
#   call for texture detectors as well as edges.
# * Build the PyTorch-style version with `nn.Conv2d(1, 6, 5, padding=2)` and `nn.MaxPool2d(2)` in a
#   `Module` subclass, trained with the loop of notebook 4.
