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
    parser.add_argument(
        "--config", type=Path, help="YAML config (see configs/); defaults if omitted"
    )
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
        attempt_factor=args.attempt_factor,
        retry_failed=args.retry_failed,
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
        durations=args.durations,
        placeholder_durations=args.no_alignments,
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


def _command_train(args: argparse.Namespace) -> int:
    from fastspeak.train.loop import train

    config = load_config(args.config, args.overrides)
    result = train(
        config,
        feat_dir=args.data,
        run_dir=args.out,
        resume=args.resume,
        init_from=args.init_from,
        max_steps=args.max_steps,
    )
    print(f"trained to step {result['step']} in {args.out}")
    print(f"  checkpoint: {result['checkpoint']}")
    print(f"  skipped steps (non-finite): {result['skipped_steps']}")
    if result.get("val"):
        print(f"  validation: {json.dumps(result['val'])}")
    return 0


def _command_align(args: argparse.Namespace) -> int:
    config = load_config(args.config, args.overrides)
    if args.check:
        from fastspeak.aligners.check import check_alignments

        max_deviation = (
            args.max_deviation
            if args.max_deviation is not None
            else config.align.max_prior_deviation
        )
        report_path = args.out or Path(args.data) / "alignment_check.json"
        report = check_alignments(
            args.data, args.durations, max_deviation, args.tolerance, report_path
        )
        source = args.durations or f"{args.data} (its own durations)"
        print(f"checked {report['utterances']} utterances of {source}")
        for name, count in report["counts"].items():
            print(f"  {name}: {count}")
        deviation = report["prior_deviation"]
        print(
            f"  prior deviation: mean {deviation['mean']}, p95 {deviation['p95']}, "
            f"max {deviation['max']} (threshold {max_deviation})"
        )
        for item in report["utterances_flagged"][:10]:
            print(f"  {item['id']}: {'; '.join(item['problems'])}")
        verdict = "passed" if report["passed"] else "FAILED"
        print(
            f"{verdict}: {report['flagged']} flagged ({100 * report['fraction']:.2f} %, "
            f"tolerance {100 * args.tolerance:.2f} %); report: {report_path}"
        )
        return 0 if report["passed"] else 1
    if args.durations is not None:
        raise UserError("--durations is for --check; training aligns the FEATDIR itself")
    if args.out is None:
        raise UserError("give --out DIR for the aligner run (or --check to check durations)")
    from fastspeak.aligners.train import train_aligner

    result = train_aligner(
        config, args.data, args.out, max_steps=args.max_steps, resume=args.resume
    )
    report = result["report"]
    print(f"aligner trained to step {result['step']} in {args.out}")
    print(f"  TextGrids: {Path(args.out) / 'textgrids'}")
    print(f"  durations: {Path(args.out) / 'durations.jsonl'}")
    for split, errors in report["boundary_error"].items():
        print(
            f"  boundary error vs the data's durations, {split}: mean {errors['mean_ms']} ms, "
            f"median {errors['median_ms']} ms, p95 {errors['p95_ms']} ms "
            f"({errors['boundaries']} boundaries)"
        )
    if report["reference"] is None:
        print("  (placeholder durations in the FEATDIR: no boundary error to report)")
    if report["left_out"]:
        print(f"  left out (fewer frames than tokens): {len(report['left_out'])}")
    if report["trimmed_audio"]:
        print(
            "  note: this FEATDIR's audio is trimmed (features.trim_edge_silence); for "
            "preprocess --durations align a FEATDIR made with features.trim_edge_silence=false"
        )
    print(f"  full report: {Path(args.out) / 'report.json'}")
    return 0


def _command_synthesize(args: argparse.Namespace) -> int:
    from fastspeak.synthesis import synthesize_command

    if (args.text is None) == (args.text_file is None):
        raise UserError("give exactly one of --text and --text-file")
    written = synthesize_command(
        args.checkpoint,
        text=args.text,
        text_file=args.text_file,
        out=args.out,
        speaker=args.speaker,
        speed=args.speed,
        pitch_semitones=args.pitch,
        energy_db=args.energy,
        batch_size=args.batch_size,
        device=args.device,
        vocoder=args.vocoder,
        progress=not args.quiet,
    )
    for path in written:
        print(path)
    return 0


def _command_evaluate(args: argparse.Namespace) -> int:
    from fastspeak.evaluate.checkpoint import evaluate_checkpoint

    result = evaluate_checkpoint(
        args.checkpoint,
        args.sentences,
        args.out,
        limit=args.limit,
        vocoder=args.vocoder,
        device=args.device,
        progress=not args.quiet,
    )
    from fastspeak.evaluate.report import markdown_table

    print(markdown_table(result["systems"]))
    print(f"report: {args.out}")
    return 0


def _command_distill(args: argparse.Namespace) -> int:
    from fastspeak.data.distill import distill

    report = distill(
        args.checkpoint,
        args.data,
        args.out,
        mode=args.mode,
        batch_size=args.batch_size,
        device=args.device,
        use_ema=not args.no_ema,
        progress=not args.quiet,
    )
    _print_summary(
        "distilled features",
        args.out,
        {
            key: report["distillation"].get(key)
            for key in ("mode", "utterances", "frames_after", "mean_abs_mel_difference")
        },
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
    teacher.add_argument(
        "--attempt-factor",
        type=float,
        default=3.0,
        help="try at most this many sentences per wanted utterance before giving up",
    )
    teacher.add_argument(
        "--retry-failed", action="store_true", help="re-attempt utterances that failed before"
    )
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
    pre.add_argument(
        "--durations",
        type=Path,
        help='JSONL {"id", "durations": [frames per token]} (e.g. teacher attention '
        "alignments) used instead of TextGrids; needed for character input",
    )
    pre.add_argument(
        "--no-alignments",
        action="store_true",
        help="plain (wav, text) pairs: even placeholder durations, to be replaced by "
        "`fastspeak align` (then --durations) or train.durations=learned",
    )
    pre.add_argument("--workers", type=int, default=None, help="processes (default: config)")
    pre.add_argument("--quiet", action="store_true", help="no progress bar")
    pre.set_defaults(handler=_command_preprocess)

    tr = commands.add_parser(
        "train",
        help="train an acoustic model on a FEATDIR",
        description=(
            "Train FastSpeech 2 (default) or FastSpeech (--set model.name=fastspeech) on "
            "features from `fastspeak preprocess` or `fastspeak distill`. Writes RUNDIR/"
            "checkpoints (latest.pt + milestones), tensorboard/, train_log.jsonl. Multi-GPU: "
            "torchrun --nproc_per_node K -m fastspeak.cli train ..."
        ),
    )
    _add_config_arguments(tr)
    tr.add_argument("--data", type=Path, required=True, help="FEATDIR from fastspeak preprocess")
    tr.add_argument("--out", type=Path, required=True, help="run folder (RUNDIR)")
    tr.add_argument("--resume", action="store_true", help="continue RUNDIR at its exact step")
    tr.add_argument(
        "--init-from",
        type=Path,
        help="fine-tune: start from this checkpoint's matching weights (new vocab/speakers ok)",
    )
    tr.add_argument("--max-steps", type=int, help="stop at this global step (default: config)")
    tr.set_defaults(handler=_command_train)

    al = commands.add_parser(
        "align",
        help="learn alignments (no MFA): train the aligner, write TextGrids and durations",
        description=(
            "Train the learned aligner (Badlani et al. 2022: conv encoders, beta-binomial "
            "prior, forward-sum loss, monotonic alignment search) on FEATDIR's train split, "
            "then write OUT/textgrids/<id>.TextGrid, OUT/durations.jsonl (for preprocess "
            "--durations) and OUT/report.json (boundary error against FEATDIR's durations). "
            "With --check: flag utterances whose durations do not sum to the frames, leave a "
            "phone empty or stray far from the prior; exit status 1 above --tolerance."
        ),
    )
    _add_config_arguments(al)
    al.add_argument("--data", type=Path, required=True, help="FEATDIR from fastspeak preprocess")
    al.add_argument(
        "--out",
        type=Path,
        help="run folder; with --check the JSON report (default FEATDIR/alignment_check.json)",
    )
    al.add_argument(
        "--max-steps", type=int, help="stop training at this step (default align.steps)"
    )
    al.add_argument("--resume", action="store_true", help="continue OUT's run (or re-export)")
    al.add_argument("--check", action="store_true", help="check durations instead of training")
    al.add_argument(
        "--durations",
        type=Path,
        help="with --check: a durations.jsonl to check (default: FEATDIR's own)",
    )
    al.add_argument(
        "--max-deviation",
        type=float,
        help="with --check: prior deviation threshold (default align.max_prior_deviation)",
    )
    al.add_argument(
        "--tolerance",
        type=float,
        default=0.0,
        help="with --check: fraction of flagged utterances that still passes (default 0)",
    )
    al.set_defaults(handler=_command_align)

    syn = commands.add_parser(
        "synthesize",
        help="text -> wav (+ a PNG of the mel) with a trained checkpoint",
        description=(
            "Speak one text (--text, writes --out FILE.wav and FILE.png) or a file of lines "
            "(--text-file, --out is a folder of NNNN.wav). Long text is split into sentences "
            "joined with pauses that follow the punctuation."
        ),
    )
    syn.add_argument("--checkpoint", type=Path, required=True)
    syn.add_argument("--text", help="the text to speak")
    syn.add_argument("--text-file", type=Path, help="one utterance per line, batched")
    syn.add_argument("--out", type=Path, help="FILE.wav for --text, a folder for --text-file")
    syn.add_argument("--speaker", help="speaker name or id (multi-speaker models)")
    syn.add_argument("--speed", type=float, default=1.0, help="speaking rate, 2.0 = twice as fast")
    syn.add_argument("--pitch", type=float, default=0.0, help="pitch shift in semitones")
    syn.add_argument("--energy", type=float, default=0.0, help="energy change in dB")
    syn.add_argument("--batch-size", type=int, default=8)
    syn.add_argument("--vocoder", default="griffinlim")
    syn.add_argument("--device", default="cpu")
    syn.add_argument("--quiet", action="store_true")
    syn.set_defaults(handler=_command_synthesize)

    dis = commands.add_parser(
        "distill",
        help="FEATDIR -> a copy whose target mels come from a trained model (for FastSpeech)",
        description=(
            "Sequence-level knowledge distillation (FastSpeech, section 3.3): run a trained "
            "model over every utterance of FEATDIR and write NEWFEATDIR, the same dataset "
            "with the model's mels as targets. teacher-forced keeps the data's durations "
            "(and frame counts); free uses the model's own durations."
        ),
    )
    dis.add_argument("--checkpoint", type=Path, required=True, help="the teacher checkpoint")
    dis.add_argument("--data", type=Path, required=True, help="FEATDIR to distill")
    dis.add_argument("--out", type=Path, required=True, help="new FEATDIR (must be new)")
    dis.add_argument("--mode", choices=["teacher-forced", "free"], default="teacher-forced")
    dis.add_argument("--batch-size", type=int, default=16)
    dis.add_argument("--device", default="cpu")
    dis.add_argument("--no-ema", action="store_true", help="use the raw, not the EMA weights")
    dis.add_argument("--quiet", action="store_true", help="no progress bar")
    dis.set_defaults(handler=_command_distill)

    ev = commands.add_parser(
        "evaluate",
        help="WER/CER, predicted MOS, MCD, F0 metrics of a checkpoint (and the teacher)",
        description=(
            "Synthesise held-out sentences and judge them offline: pocketsphinx WER/CER, "
            "DistillMOS, and against reference recordings (a FEATDIR test.jsonl): MCD-DTW, "
            "F0 RMSE/correlation/moments. The teacher's audio and teacher mel -> the same "
            "vocoder (the ceiling) are reported beside the model."
        ),
    )
    ev.add_argument("--checkpoint", type=Path, required=True)
    ev.add_argument(
        "--sentences",
        type=Path,
        required=True,
        help="a .txt (one sentence a line) or a FEATDIR manifest such as test.jsonl",
    )
    ev.add_argument("--out", type=Path, required=True, help="REPORT.json (REPORT.md beside it)")
    ev.add_argument("--limit", type=int, help="only the first N sentences")
    ev.add_argument("--vocoder", default="griffinlim")
    ev.add_argument("--device", default="cpu")
    ev.add_argument("--quiet", action="store_true")
    ev.set_defaults(handler=_command_evaluate)
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
