"""Config loading: YAML files, dotted overrides, unknown keys rejected."""

import re
from pathlib import Path

import pytest

from fastspeak.config import (
    Config,
    ConfigError,
    config_from_dict,
    given_differences,
    given_keys,
    load_config,
)


def test_defaults_are_ljspeech_settings() -> None:
    config = load_config()
    assert (config.audio.sample_rate, config.audio.hop_length, config.audio.n_mels) == (
        22050,
        256,
        80,
    )
    assert config.audio.f_max == 8000.0


def test_yaml_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("audio:\n  hop_length: 200\ntext:\n  inventory: arpabet\n")
    config = load_config(
        path, ["audio.hop_length=256", "features.pitch_level=frame", "audio.f_max=null"]
    )
    assert config.audio.hop_length == 256
    assert config.text.inventory == "arpabet"
    assert config.features.pitch_level == "frame"
    assert config.audio.f_max is None
    assert config_from_dict(config.to_dict()) == config


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("audio.hop_lenght=256", "unknown config key 'audio.hop_lenght'.*hop_length"),
        ("nosuch.key=1", "unknown config key 'nosuch'.*audio"),
        ("audio.hop_length=abc", "audio.hop_length must be an integer"),
        ("text.inventory=klingon", "text.inventory must be one of"),
        ("audio.f_max=20000", "exceeds Nyquist"),
        ("audio", "must look like section.key=value"),
        # caught here, not as a crash (or silent garbage) later
        ("model.attention_heads=0", "model.attention_heads must be >= 1"),
        ("model.hidden=0", "model.hidden must be >= 1"),
        ("model.encoder_dropout=1.5", r"model.encoder_dropout must be in \[0, 1\)"),
        ("model.variance.dropout=-0.1", "model.variance.dropout must be in"),
        ("audio.f_min=9000", "audio.f_min .* below audio.f_max"),
        ("audio.n_mels=0", "audio.n_mels must be > 0"),
        ("audio.win_length=0", "audio.win_length must be > 0"),
        ("preprocess.workers=-3", "preprocess.workers must be >= 0"),
        ("preprocess.max_seconds=0.1", "min_seconds must be >= 0 and below"),
        ("train=null", None),  # None: a section may be empty
        ("train=0", "train must be a mapping"),
        ("train=[]", "train must be a mapping"),
        ("text.language=null", "text.language must be a string"),
        ("vocoder.generator.resblock=true", "resblock must be one of"),
        ("model.variance.n_bins=2", "n_bins must be >= 3"),
    ],
)
def test_bad_overrides_name_the_key(override: str, message: str | None) -> None:
    if message is None:
        assert load_config(None, [override]) == load_config(None)
        return
    with pytest.raises(ConfigError, match=message):
        load_config(None, [override])


def test_overrides_reach_a_model_chosen_by_name(tmp_path: Path) -> None:
    """`model: fastspeech` (the by-name shorthand) takes further --set model.KEY values, and
    --set model=NAME keeps the model keys already set."""
    path = tmp_path / "fs.yaml"
    path.write_text("model: fastspeech\ntrain:\n  batch_size: 8\n")
    config = load_config(path, ["model.hidden=384"])
    assert (config.model.name, config.model.hidden) == ("fastspeech", 384)
    config = load_config(None, ["model.hidden=384", "model=fastspeech"])
    assert (config.model.name, config.model.hidden) == ("fastspeech", 384)
    assert load_config(path, ["train=null"]).train.batch_size == 16  # null: an empty section


def test_missing_file_and_hash(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")
    a, b = Config(), load_config(None, ["features.pitch_method=harvest"])
    assert a.section_hash("audio") == b.section_hash("audio")
    assert a.section_hash("audio", "features") != b.section_hash("audio", "features")


@pytest.mark.parametrize(
    "path",
    sorted((Path(__file__).resolve().parents[1] / "configs").rglob("*.yaml")),
    ids=lambda path: f"{path.parent.name}/{path.name}",
)
def test_every_shipped_config_loads_and_builds(path: Path) -> None:
    """Each config file is valid, and an acoustic-model config builds its model."""
    from fastspeak.models import build_model

    config = load_config(path)
    if "hifigan" not in path.name:
        config.model.vocab_size = 64
        model = build_model(config.model)
        assert sum(p.numel() for p in model.parameters()) > 0


def test_a_tab_indent_names_the_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "t6.yaml"
    path.write_text("train:\n\tbatch_size: 2\n")
    message = (
        f"{path} line 2 column 1: found character '\\t' that cannot start any token "
        "(YAML indents with spaces, not tabs)"
    )
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(path)


def test_malformed_yaml_in_an_override_names_the_override() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(None, ["train.betas=[0.9,"])
    message = str(caught.value)
    assert message.startswith("--set 'train.betas=[0.9,': the value '[0.9,' is not valid YAML")
    assert "line 1 column 6" in message


def test_given_differences_name_only_the_keys_the_user_gave(tmp_path: Path) -> None:
    """Against a checkpoint's config, only keys the file or --set gave count: a default the
    user never wrote is not a request for another architecture."""
    saved = load_config(None, ["model.hidden=64", "model.encoder_layers=1"])
    path = tmp_path / "c.yaml"
    path.write_text("model:\n  hidden: 64\n  variance:\n    n_bins: 32\n")
    config = load_config(path, ["model.postnet_layers=2", "train.batch_size=4"])
    assert given_keys(config) == {
        "model.hidden",
        "model.variance.n_bins",
        "model.postnet_layers",
        "train.batch_size",
    }
    assert given_differences(config, saved, "model") == [
        ("model.postnet_layers", 2, 5),
        ("model.variance.n_bins", 32, 256),
    ]  # encoder_layers differs too (4, 1), but only as a default: not given
    assert given_differences(config, saved, "model", ignore={"model.postnet_layers"}) == [
        ("model.variance.n_bins", 32, 256)
    ]
    assert given_keys(load_config(None, ["model=fastspeech"])) == {"model.name"}
    # a Config made without load_config: every key counts
    assert ("model.encoder_layers", 4, 1) in given_differences(Config(), saved, "model")
