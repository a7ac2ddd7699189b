"""The count-based bigram baseline on the English word list (makemore style).

    python examples/bigram_words.py                    # add-one smoothing, seed 0
    python examples/bigram_words.py --smoothing 0.1 --seed 1 --samples 10

Every word is framed by the boundary token "." (".emma." predicts e, m, m, a and the end), the
words are split 80/10/10 by the seed, the pairs of the training words are counted, and the loss of
each split is printed in nats per character (the end of a word counts as one character), with
words sampled from the counts. Needs Debian's wamerican package, or --words FILE.
"""
import argparse
import math

from nn.data.text import (BigramLanguageModel, CharVocabulary, load_words, padded_words,
                          train_val_test_split)


def main(argv=None):
    """Fit the baseline and print the split sizes, the losses and sampled words."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", help="the word list (default: the wamerican file)")
    parser.add_argument("--smoothing", type=float, default=1.0, help="added to every pair count")
    parser.add_argument("--seed", type=int, default=0, help="for the split and the samples")
    parser.add_argument("--samples", type=int, default=20, help="how many words to sample")
    args = parser.parse_args(argv)

    words = load_words(args.words)
    vocabulary = CharVocabulary.from_text(words, specials=(".",))
    splits = dict(zip(("train", "val", "test"),
                      train_val_test_split(words, (0.8, 0.1, 0.1), seed=args.seed)))
    print(f"{len(words)} words, {len(vocabulary)} tokens; split "
          + ", ".join(f"{name} {len(part)}" for name, part in splits.items()))
    model = BigramLanguageModel(len(vocabulary), smoothing=args.smoothing)
    model.fit(*padded_words(splits["train"], vocabulary))
    print(f"uniform guess: {math.log(len(vocabulary)):.4f} nats per character")
    for name, part in splits.items():
        loss = model.nll(*padded_words(part, vocabulary))
        print(f"bigram {name} loss: {loss:.4f} nats per character")
    print("samples:", " ".join(model.sample_words(vocabulary, args.samples, seed=args.seed)))


if __name__ == "__main__":
    main()
