"""Character-level text for language models: a vocabulary, training arrays, real corpora and a
count-based bigram baseline. Like the rest of ``nn.data``, plain numpy, no autodiff.

    from nn.data.text import (CharVocabulary, load_words, padded_words,
                              train_val_test_split, BigramLanguageModel)

    words = load_words()                                        # 63,875 English words
    vocabulary = CharVocabulary.from_text(words, specials=(".",))  # "." ends (and starts) a word
    train, val, test = train_val_test_split(words, (0.8, 0.1, 0.1), seed=0)
    inputs, targets, mask = padded_words(train, vocabulary)
    bigram = BigramLanguageModel(len(vocabulary)).fit(inputs, targets, mask)
    bigram.nll(*padded_words(test, vocabulary))                 # nats per character
"""

from .bigram import BigramLanguageModel
from .corpora import (TANG_POEMS, WORDS, Poem, TextSource, find_text_file, load_tang_poems,
                      load_words, parse_tang_poems, parse_words, split_fortunes, strip_ansi)
from .sequences import (char_windows, padded_words, sample_windows, train_val_test_split,
                        word_contexts)
from .vocabulary import CharVocabulary

__all__ = [
    "BigramLanguageModel",
    "CharVocabulary",
    "Poem",
    "TANG_POEMS",
    "TextSource",
    "WORDS",
    "char_windows",
    "find_text_file",
    "load_tang_poems",
    "load_words",
    "padded_words",
    "parse_tang_poems",
    "parse_words",
    "sample_windows",
    "split_fortunes",
    "strip_ansi",
    "train_val_test_split",
    "word_contexts",
]
