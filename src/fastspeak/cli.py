"""The ``fastspeak`` command line: one entry point, one subcommand per job.

Heavy imports happen inside each command so ``fastspeak --help`` stays instant.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from fastspeak.config import ConfigError, load_config


class UserError(Exception):
    """A problem the user can fix; printed without a traceback."""


def _add_config_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="YAML config (see configs/); defaults if omitted")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one config value, e.g. --set audio.hop_length=256 (repeatable)",
    )


def _command_corpus_teacher(args: argparse.Namespace) -> int:
    from fastspeak.data.teacher.builder import build_teacher_corpus

    report = build_teacher_corpus(
        engine=args.engine,
        voices=args.voice or None,
        num_sentences=args.num_sentences,
        out_dir=args.out,
        sample_rate=args.sample_rate,
        workers=args.workers,
        seed=args.seed,
        held_out=args.held_out,
        progress=not args.quiet,
    )
    _print_summary(
        "corpus",
        args.out,
        {
            key: report.get(key)
            for key in ("utterances", "phone_match_rate", "audio_seconds", "seconds_taken")
        }
        | {"failed": len(report.get("failed", []))},
    )
    return 0


def _command_preprocess(args: argparse.Namespace) -> int:
    from fastspeak.data.preprocess import preprocess

    config = load_config(args.config, args.overrides)
    report = preprocess(
        config,
        data_dir=args.data,
        out_dir=args.out,
        corpus_format=args.format,
        alignments=args.alignments,
        workers=args.workers,
        progress=not args.quiet,
    )
    _print_summary(
        "features",
        args.out,
        {
            key: report.get(key)
            for key in ("processed", "audio_seconds", "seconds_taken", "realtime_factor", "splits")
        }
        | {"skipped": len(report.get("skipped", []))},
    )
    return 0


def _print_summary(kind: str, where: Path, fields: dict[str, object]) -> None:
    print(f"{kind} written to {where}")
    for key, value in fields.items():
        print(f"  {key}: {json.dumps(value) if isinstance(value, dict) else value}")
    print(f"  full report: {Path(where) / 'report.json'}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fastspeak",
        description="Train and run FastSpeech / FastSpeech 2 text-to-speech, offline.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    corpus = commands.add_parser("corpus", help="build speech corpora")
    corpus_commands = corpus.add_subparsers(dest="corpus_command", required=True, metavar="KIND")
    teacher = corpus_commands.add_parser(
        "teacher",
        help="speak sentences with a teacher TTS voice, with exact phone timings",
        description=(
            "Build a corpus from a teacher voice: wavs, metadata.csv, TextGrids with our "
            "frontend's tokens, a fixed held-out list and report.json. Re-running resumes."
        ),
    )
    teacher.add_argument("--engine", choices=["piper", "festival", "flite"], default="piper")
    teacher.add_argument(
        "--voice",
        action="append",
        help="voice name (repeat for a multi-speaker corpus); piper: joe, festival: slt, "
        "flite: slt rms awb",
    )
    teacher.add_argument("--num-sentences", type=int, required=True, help="training sentences")
    teacher.add_argument("--held-out", type=int, default=250, help="held-out test sentences")
    teacher.add_argument("--out", type=Path, required=True, help="corpus folder")
    teacher.add_argument("--sample-rate", type=int, default=22050)
    teacher.add_argument("--workers", type=int, default=0, help="processes (0 = all cores)")
    teacher.add_argument("--seed", type=int, default=1234)
    teacher.add_argument("--quiet", action="store_true", help="no progress bar")
    teacher.set_defaults(handler=_command_corpus_teacher)

    pre = commands.add_parser(
        "preprocess",
        help="audio + alignments -> mel, pitch, energy, durations, splits",
        description=(
            "Extract features for a corpus (LJSpeech, VCTK, LibriTTS, AISHELL-3, CSV or a "
            "teacher corpus) into FEATDIR: train/val/test.jsonl manifests, vocab.json, "
            "stats.json, speakers.json, report.json and a feature cache keyed by the settings."
        ),
    )
    _add_config_arguments(pre)
    pre.add_argument("--data", type=Path, required=True, help="corpus root folder")
    pre.add_argument("--out", type=Path, required=True, help="feature folder (FEATDIR)")
    pre.add_argument(
        "--format",
        default="auto",
        help="corpus layout: auto, ljspeech, teacher, vctk, libritts, aishell3, csv",
    )
    pre.add_argument("--alignments", type=Path, help="folder of MFA TextGrids, if separate")
    pre.add_argument("--workers", type=int, default=None, help="processes (default: config)")
    pre.add_argument("--quiet", action="store_true", help="no progress bar")
    pre.set_defaults(handler=_command_preprocess)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except (UserError, ConfigError) as error:
        print(f"fastspeak: error: {error}", file=sys.stderr)
        return 2
    except ValueError as error:
        # user-facing error classes (TextError, CorpusError, AudioError, ...) derive from ValueError
        if type(error).__module__.startswith("fastspeak"):
            print(f"fastspeak: error: {error}", file=sys.stderr)
            return 2
        raise
    except KeyboardInterrupt:
        print("fastspeak: interrupted; finished work is kept and a re-run resumes", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
