"""TextProcessor: one object for preprocessing and synthesis; robust to any input."""

from __future__ import annotations

import pickle
from concurrent.futures import ProcessPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastspeak.config import ConfigError, TextConfig
from fastspeak.text.errors import TextError
from fastspeak.text.processor import TextProcessor
from fastspeak.text.vocab import Vocabulary

INVENTORIES = ("arpabet", "espeak", "characters")
PROCESSORS = {
    inventory: TextProcessor(TextConfig(inventory=inventory)) for inventory in INVENTORIES
}


@pytest.mark.parametrize("inventory", INVENTORIES)
def test_pipeline(inventory: str) -> None:
    processor = PROCESSORS[inventory]
    text = "Dr. Smith paid $5.20. Did he? Yes!"
    normalized = processor.normalize(text)
    assert normalized == "Doctor Smith paid five dollars twenty cents. Did he? Yes!"
    assert processor.sentences(text) == [
        "Doctor Smith paid five dollars twenty cents.",
        "Did he?",
        "Yes!",
    ]
    tokens = processor.tokens(text)
    assert tokens == processor.tokens_from_normalized(normalized)
    assert tokens[-1] == "!" and "?" in tokens and "." in tokens
    vocab = Vocabulary.from_tokens([tokens], inventory)
    ids = processor.encode(text, vocab)
    assert vocab.decode(ids) == tokens


def test_encode_unknown_policy_and_inventory_mismatch() -> None:
    processor = TextProcessor(TextConfig(inventory="characters", unknown_symbols="error"))
    vocab = Vocabulary.from_tokens([list("abc")], "characters")
    with pytest.raises(TextError, match="not in the characters vocabulary"):
        processor.encode("a dog", vocab)
    assert processor.encode("a dog", vocab, unknown="skip") == [2]
    skipping = TextProcessor(TextConfig(inventory="characters", unknown_symbols="skip"))
    assert skipping.encode("cab", vocab) == [4, 2, 3]
    with pytest.raises(TextError, match="none of the"):
        skipping.encode("xyz", vocab)
    with pytest.raises(ConfigError, match="inventory"):
        PROCESSORS["arpabet"].encode("cab", vocab)


def test_non_english_language_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="English"):
        TextProcessor(TextConfig(language="de"))
    TextProcessor(TextConfig(language="en-gb"))


def _tokens_in_worker(processor: TextProcessor) -> list[str]:
    return processor.tokens("Hello there, world.")


@pytest.mark.parametrize("inventory", INVENTORIES)
def test_picklable_and_usable_in_worker_processes(inventory: str) -> None:
    processor = PROCESSORS[inventory]
    expected = processor.tokens("Hello there, world.")  # loads resources in this process
    clone = pickle.loads(pickle.dumps(processor))
    assert clone.config == processor.config
    assert clone.tokens("Hello there, world.") == expected
    with ProcessPoolExecutor(max_workers=1) as pool:
        assert pool.submit(_tokens_in_worker, processor).result(timeout=60) == expected


@pytest.mark.parametrize("inventory", INVENTORIES)
def test_long_input_at_the_limit(inventory: str) -> None:
    processor = PROCESSORS[inventory]
    sentence = "The year 1984 cost $5.20, didn't it? "
    text = (sentence * (10000 // len(sentence) + 1))[:10000]
    assert len(text) == 10000
    tokens = processor.tokens(text)
    assert tokens and all(isinstance(token, str) and token for token in tokens)
    assert len(processor.sentences(text)) > 200
    with pytest.raises(TextError, match="limit of 10000"):
        processor.tokens(text + "x")


_ascii_soup = st.text(
    alphabet=st.sampled_from(list("abcXYZ 0123456789.,!?;:-'\"$%£€—…()[]/&#@|^\n\t_")),
    max_size=60,
)
_inputs = st.one_of(
    st.text(max_size=60),
    _ascii_soup,
    st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=60),
    st.text(alphabet=st.characters(max_codepoint=0x2FFF), max_size=40),
)


@settings(
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(text=_inputs)
def test_any_unicode_gives_tokens_or_text_error(text: str) -> None:
    for processor in PROCESSORS.values():
        try:
            tokens = processor.tokens(text)
        except TextError:
            continue
        assert isinstance(tokens, list) and tokens
        assert all(isinstance(token, str) and token for token in tokens)


def test_long_arpabet_sentences_are_cut_between_words() -> None:
    """ARPAbet has no word-gap token, so a long sentence without punctuation is cut where the
    phonemiser says a word ends (with a word gap's pause), never inside a word."""
    from fastspeak.text.chunks import DEFAULT_PAUSES_MS, TextChunker
    from fastspeak.text.g2p.arpabet import word_to_arpabet
    from fastspeak.text.symbols import WORD_BOUNDARY
    from fastspeak.text.vocab import Vocabulary

    processor = TextProcessor(TextConfig(inventory="arpabet"))
    words = "the quick brown fox jumps over the lazy dog again and again".split()
    chunker = TextChunker(processor, Vocabulary.full("arpabet"), None, 8)
    chunks = chunker.prepare(" ".join(words)).chunks
    assert len(chunks) > 2 and all(len(chunk.tokens) <= 8 for chunk in chunks)
    assert [token for chunk in chunks for token in chunk.tokens] == processor.tokens(
        " ".join(words)
    )
    ends = set()  # token counts at which a word ends
    count = 0
    for word in words:
        count += len(word_to_arpabet(word))
        ends.add(count)
    cut = 0
    for chunk in chunks[:-1]:
        cut += len(chunk.tokens)
        assert cut in ends and chunk.pause_ms == DEFAULT_PAUSES_MS[WORD_BOUNDARY]


def test_chunks_cut_after_a_mark_rather_than_inside_a_word() -> None:
    from fastspeak.text.chunks import TextChunker

    processor = TextProcessor(TextConfig(inventory="characters"))
    chunker = TextChunker(processor, Vocabulary.full("characters"), None, 8)
    chunks = chunker.prepare("abc, defghij klmno, pq.").chunks  # not "abc,defg" + "hij|..."
    assert ["".join(chunk.tokens) for chunk in chunks] == ["abc,", "defghij|", "klmno,", "pq."]
    words = " ".join(["abcdefghijk", "lm", "nopq", "rstuvw"] * 5) + "!"
    chunks = chunker.prepare(words).chunks
    assert all(len(chunk.tokens) <= 8 for chunk in chunks)
    assert [t for chunk in chunks for t in chunk.tokens] == processor.tokens(words)


@pytest.mark.parametrize("inventory", ["arpabet", "characters"])
def test_no_chunk_is_a_lone_mark_after_a_long_word(inventory: str) -> None:
    """A cut that falls just before punctuation takes the marks along: no piece of ";" alone."""
    from fastspeak.text.chunks import TextChunker
    from fastspeak.text.symbols import WORD_BOUNDARY, is_boundary

    processor = TextProcessor(TextConfig(inventory=inventory))
    chunker = TextChunker(processor, Vocabulary.full(inventory), None, 10)
    text = "internationalization bright a the tree; extraordinary!"
    chunks = chunker.prepare(text).chunks
    spoken = [t for chunk in chunks for t in chunk.tokens if t != WORD_BOUNDARY]
    assert spoken == [t for t in processor.tokens(text) if t != WORD_BOUNDARY]
    assert not any(all(is_boundary(token) for token in chunk.tokens) for chunk in chunks)
    assert all(len(chunk.tokens) <= 11 for chunk in chunks)
    if inventory == "arpabet":
        assert [len(chunk.tokens) for chunk in chunks] == [10, 7, 11, 10, 5]
        assert chunks[2].tokens[-1] == ";" and chunks[2].pause_ms == 250.0
