"""The ``fastspeak`` command line: one entry point, one subcommand per job.

Heavy imports happen inside each command so ``fastspeak --help`` stays instant.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from fastspeak.config import Config, ConfigError, load_config


class UserError(Exception):
    """A problem the user can fix; printed without a traceback."""


def _add_config_arguments(parser: argparse.ArgumentParser, resumable: bool = True) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        help="YAML config (see configs/); defaults if omitted"
        + (", or with --resume the run's own OUT/config.yaml" if resumable else ""),
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one config value, e.g. --set audio.hop_length=256 (repeatable)",
    )


def _run_config(args: argparse.Namespace) -> Config:
    """--config (the defaults if omitted) with --set on top; resuming without --config, the
    run's own OUT/config.yaml rather than the defaults (whose train settings would replace
    the run's: another lr schedule, batch size and step count)."""
    path = args.config
    out = getattr(args, "out", None)
    saved = Path(out) / "config.yaml" if getattr(args, "resume", False) and out else None
    if path is None and saved is not None and saved.is_file():
        print(f"resuming with the run's own {saved} (give --config to use another)")
        path = saved
    return load_config(path, args.overrides)


def _resume_data(args: argparse.Namespace) -> None:
    """Fill a missing ``--data`` (and ``--gta``) of a ``--resume`` with what the run trained
    on, as its checkpoint records it; without ``--resume`` a missing ``--data`` is an error."""
    if args.data is not None:
        return
    if not getattr(args, "resume", False) or args.out is None:
        raise UserError("give --data FEATDIR (the folder `fastspeak preprocess` wrote)")
    from fastspeak.train.checkpoint import run_data

    data = run_data(args.out)
    if "feat_dir" not in data:
        raise UserError(
            f"{args.out}'s checkpoint does not record its data (written before fastspeak "
            "recorded it): give --data FEATDIR"
        )
    args.data = Path(data["feat_dir"])
    if getattr(args, "gta", False) is None and "gta_dir" in data:
        args.gta = Path(data["gta_dir"])
    gta = f" and GTA mels {args.gta}" if getattr(args, "gta", None) else ""
    print(f"resuming on the run's own data {args.data}{gta} (give --data to use another)")


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
    if not report.get("complete", True):
        for voice, missing in report.get("shortfall", {}).items():
            parts = ", ".join(f"{count} {split}" for split, count in missing.items())
            print(f"  incomplete: {voice} is {parts} utterance(s) short", file=sys.stderr)
        print(
            "  every attempted sentence was used; raise --attempt-factor (a re-run resumes and "
            "tries more) or ask for fewer sentences",
            file=sys.stderr,
        )
        return 1
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
    for stale in report["stale_caches"]:
        print(
            f"  note: {args.out}/{stale['folder']} ({stale['mb']} MB) holds features of other "
            "settings or an older fastspeak that this FEATDIR no longer uses: delete it to "
            "free the space"
        )
    return 0


def _command_train(args: argparse.Namespace) -> int:
    from fastspeak.train.loop import train

    config = _run_config(args)
    _resume_data(args)
    result = train(
        config,
        feat_dir=args.data,
        run_dir=args.out,
        resume=args.resume,
        init_from=args.init_from,
        max_steps=args.max_steps,
        max_minutes=args.max_minutes,
    )
    print(f"trained to step {result['step']} in {args.out}")
    print(f"  checkpoint: {result['checkpoint']}")
    print(f"  skipped steps (non-finite): {result['skipped_steps']}")
    if result.get("val"):
        print(f"  validation: {json.dumps(result['val'])}")
    return 0


def _command_align(args: argparse.Namespace) -> int:
    config = _run_config(args)
    _resume_data(args)
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
        config,
        args.data,
        args.out,
        max_steps=args.max_steps,
        resume=args.resume,
        max_minutes=args.max_minutes,
    )
    report = result["report"]
    print(f"aligner trained to step {result['step']} in {args.out}")
    print(f"  TextGrids: {Path(args.out) / 'textgrids'}")
    print(f"  durations: {Path(args.out) / 'durations.jsonl'}")
    measures = (
        ("", "boundary error vs the data's durations"),
        ("_within_blanks", "the same to the nearest cut inside the teacher's blanks"),
    )
    for suffix, title in measures:
        for split, errors in report.get(f"boundary_error{suffix}", {}).items():
            if not errors.get("boundaries"):  # an empty split (a tiny corpus's val)
                continue
            before = report.get(f"boundary_error_aligner{suffix}", {}).get(split)
            refined = f" (aligner alone: {before['mean_ms']} ms)" if before else ""
            print(
                f"  {title}, {split}: mean {errors['mean_ms']} ms{refined}, median "
                f"{errors['median_ms']} ms, p95 {errors['p95_ms']} ms "
                f"({errors['boundaries']} boundaries)"
            )
    if report["reference"] is None:
        print("  (placeholder durations in the FEATDIR: no boundary error to report)")
    if report["left_out"]:
        print(f"  left out (too few frames to align): {len(report['left_out'])}")
    if report["trimmed_audio"]:
        print(
            "  note: this FEATDIR's audio is trimmed (features.trim_edge_silence): the "
            "TextGrids are on the corpus audio's timeline (trimmed edges as silence), and "
            "preprocess --durations takes durations.jsonl"
        )
    print(f"  full report: {Path(args.out) / 'report.json'}")
    return 0


def _command_train_vocoder(args: argparse.Namespace) -> int:
    from fastspeak.train.gan_loop import train_vocoder

    config = _run_config(args)
    _resume_data(args)
    result = train_vocoder(
        config,
        feat_dir=args.data,
        run_dir=args.out,
        resume=args.resume,
        init_from=args.init_from,
        gta_dir=args.gta,
        max_steps=args.max_steps,
        max_minutes=args.max_minutes,
    )
    print(f"trained the vocoder to step {result['step']} in {args.out}")
    print(f"  checkpoint: {result['checkpoint']}")
    print(f"  use it with: --vocoder hifigan:{result['checkpoint']}")
    print(f"  skipped steps (non-finite): {result['skipped_steps']}")
    if result.get("val"):
        print(f"  validation: {json.dumps(result['val'])}")
    return 0


def _command_gta(args: argparse.Namespace) -> int:
    from fastspeak.data.gta import write_gta

    report = write_gta(
        args.checkpoint,
        args.data,
        args.out,
        batch_size=args.batch_size,
        device=args.device,
        use_ema=not args.no_ema,
        progress=not args.quiet,
    )
    _print_summary(
        "ground-truth-aligned mels",
        args.out,
        {key: report["gta"].get(key) for key in ("utterances", "max_span_mel_difference")}
        | {"mean_abs_mel_difference": report["distillation"].get("mean_abs_mel_difference")},
    )
    return 0


def _command_synthesize(args: argparse.Namespace) -> int:
    from fastspeak.synthesis import synthesize_command, synthesize_manifest_mels

    if args.sentences is not None or args.mels_out is not None:
        if args.sentences is None or args.mels_out is None or args.text or args.text_file:
            raise UserError("--sentences and --mels-out go together, without --text/--text-file")
        ignored = [
            flag
            for flag, value, default in (
                ("--speaker", args.speaker, None),
                ("--speed", args.speed, 1.0),
                ("--pitch", args.pitch, 0.0),
                ("--energy", args.energy, 0.0),
                ("--vocoder", args.vocoder, None),
            )
            if value != default
        ]
        if ignored:
            raise UserError(
                f"--sentences speaks each utterance as its manifest's speaker at the model's "
                f"own rate, pitch and energy, and writes mels only: {', '.join(ignored)} "
                "would be ignored; leave them out (or use --text/--text-file)"
            )
        print(
            synthesize_manifest_mels(
                args.checkpoint,
                args.sentences,
                args.mels_out,
                batch_size=args.batch_size,
                device=args.device,
                progress=not args.quiet,
            )
        )
        return 0
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
    from fastspeak.evaluate.checkpoint import evaluate_checkpoint, evaluate_mels

    if (args.checkpoint is None) == (args.mels is None):
        raise SystemExit("fastspeak evaluate: give exactly one of --checkpoint or --mels")
    options = {
        "limit": args.limit,
        "vocoder": args.vocoder,
        "device": args.device,
        "progress": not args.quiet,
    }
    if args.checkpoint is not None:
        if args.no_references:
            raise SystemExit("fastspeak evaluate: --no-references goes with --mels")
        result = evaluate_checkpoint(args.checkpoint, args.sentences, args.out, **options)
    else:
        result = evaluate_mels(
            args.mels, args.sentences, args.out, references=not args.no_references, **options
        )
    from fastspeak.evaluate.report import markdown_table

    print(markdown_table(result["systems"]))
    print(f"report: {args.out}")
    return 0


def _command_serve(args: argparse.Namespace) -> int:
    import torch
    import uvicorn

    from fastspeak.serve import create_app
    from fastspeak.synthesis import Synthesizer
    from fastspeak.voice import DEFAULT_VOICE, is_voice, voice_card

    for name in ("workers", "worker_threads", "max_chars", "max_tokens"):
        if getattr(args, name) < 1:
            raise UserError(f"--{name.replace('_', '-')} must be >= 1 (got {getattr(args, name)})")
    if args.max_queue < 0:
        raise UserError(f"--max-queue must be >= 0 (got {args.max_queue}); 0 = no request waits")
    if args.threads:
        torch.set_num_threads(args.threads)  # loading; synthesis threads get --worker-threads
    path = args.checkpoint if args.checkpoint is not None else DEFAULT_VOICE
    synthesizer = Synthesizer.from_checkpoint(path, device=args.device, vocoder=args.vocoder)
    name = "default" if args.checkpoint is None else Path(path).stem
    card = voice_card(path) if is_voice(path) else {}
    app = create_app(
        synthesizer,
        voice_name=name,
        card=card,
        max_chars=args.max_chars,
        max_tokens=args.max_tokens,
        max_queue=args.max_queue,
        workers=args.workers,
        worker_threads=args.worker_threads,
    )
    print(f"serving {path} on http://{args.host}:{args.port}/", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def _read_json_object(path: Path, flag: str, what: str) -> dict:
    """The JSON object in ``path``; UserError naming ``flag`` for anything else."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UserError(f"{flag} {path} is not UTF-8 JSON ({error}); give {what}") from error
    if not isinstance(value, dict):
        raise UserError(f"{flag} {path} holds a JSON {type(value).__name__}; give {what}")
    return value


def _command_export(args: argparse.Namespace) -> int:
    from fastspeak.voice import DEFAULT_VOICE, export_voice

    source = args.checkpoint if args.checkpoint is not None else DEFAULT_VOICE
    if args.format == "onnx":
        from fastspeak.export import export_onnx

        voice_only = [
            flag
            for flag, value in (
                ("--card", args.card),
                ("--report", args.report),
                ("--griffinlim", args.griffinlim),
                ("--vocoder-int8", args.vocoder_int8),
            )
            if value is not None
        ]
        if voice_only:
            raise UserError(
                f"{', '.join(voice_only)} apply to --format voice; export the voice folder "
                "with them first, then export that folder with --format onnx --checkpoint DIR "
                "(its card travels into the ONNX voice.json)"
            )
        vocoder = args.vocoder.removeprefix("hifigan:") if args.vocoder else None
        out = export_onnx(source, args.out, vocoder=vocoder)
        graphs = json.loads((out / "voice.json").read_text(encoding="utf-8"))["onnx"]
        written = ", ".join(
            [graphs[key] for key in ("acoustic", "vocoder") if key in graphs] + ["voice.json"]
        )
        print(f"ONNX export written to {out}: {written}")
        return 0
    card: dict = {}
    for path in (args.card, args.report):
        if path is not None and not path.is_file():
            raise UserError(f"{path} does not exist")
    if args.card is not None:
        card.update(_read_json_object(args.card, "--card", 'a voice card such as {"licence": ...}'))
    if args.report is not None:
        report = _read_json_object(args.report, "--report", "the REPORT.json of fastspeak evaluate")
        if not isinstance(report.get("systems"), dict):
            raise UserError(f"--report {args.report} is not a fastspeak evaluate REPORT.json")
        card["evaluation"] = {
            "items": report.get("num_items"),
            "systems": {
                name: {
                    key: value
                    for key, value in system["summary"].items()
                    if isinstance(value, (int, float)) and value is not None
                }
                for name, system in report["systems"].items()
            },
        }
    vocoder = args.vocoder.removeprefix("hifigan:") if args.vocoder else None
    griffinlim = None
    if args.griffinlim is not None:
        try:
            griffinlim = json.loads(args.griffinlim)
        except json.JSONDecodeError as error:
            raise UserError(f"--griffinlim must be a JSON object ({error})") from error
        if not isinstance(griffinlim, dict):
            raise UserError("--griffinlim must be a JSON object, e.g. '{\"power\": 1.15}'")
    out = export_voice(
        source,
        args.out,
        card=card,
        vocoder=vocoder,
        vocoder_int8=args.vocoder_int8,
        griffinlim=griffinlim,
    )
    size = sum(path.stat().st_size for path in out.iterdir()) / 2**20
    print(f"voice written to {out} ({size:.1f} MiB)")
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
    teacher.add_argument(
        "--seed",
        type=int,
        default=1234,
        help="seeds the speed draw and piper's sampling noise: with --workers 1 a build is "
        "reproducible",
    )
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
    _add_config_arguments(pre, resumable=False)
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
    tr.add_argument(
        "--data", type=Path, help="FEATDIR from fastspeak preprocess (with --resume: the run's own)"
    )
    tr.add_argument("--out", type=Path, required=True, help="run folder (RUNDIR)")
    tr.add_argument("--resume", action="store_true", help="continue RUNDIR at its exact step")
    tr.add_argument(
        "--init-from",
        type=Path,
        help="fine-tune: start from this checkpoint's matching weights (new vocab/speakers ok)",
    )
    tr.add_argument("--max-steps", type=int, help="stop at this global step (default: config)")
    tr.add_argument(
        "--max-minutes",
        type=float,
        help="also stop (validate, save) after this much wall time; --resume continues",
    )
    tr.set_defaults(handler=_command_train)

    voc = commands.add_parser(
        "train-vocoder",
        help="train the HiFi-GAN vocoder on a FEATDIR's recordings (or GTA mels)",
        description=(
            "Train HiFi-GAN (Kong et al. 2020; vocoder.generator.variant v1/v2/v3) on random "
            "segments of the recordings of FEATDIR's corpus, or with --gta on an acoustic "
            "model's ground-truth-aligned mels (`fastspeak gta`). Writes RUNDIR/checkpoints "
            "(latest.pt + milestones), tensorboard/ (losses, validation mel L1, audio), "
            "train_log.jsonl. Use the result with --vocoder hifigan:RUNDIR/checkpoints/"
            "latest.pt. Multi-GPU: torchrun --nproc_per_node K -m fastspeak.cli train-vocoder ..."
        ),
    )
    _add_config_arguments(voc)
    voc.add_argument(
        "--data", type=Path, help="FEATDIR from fastspeak preprocess (with --resume: the run's own)"
    )
    voc.add_argument("--out", type=Path, required=True, help="run folder (RUNDIR)")
    voc.add_argument("--resume", action="store_true", help="continue RUNDIR at its exact step")
    voc.add_argument(
        "--init-from",
        type=Path,
        help="fine-tune: a new run starting from this train-vocoder checkpoint (with --gta), "
        "or from an exported generator (NAME.json: fresh discriminators; see "
        "vocoder.train.discriminator_warmup_steps)",
    )
    voc.add_argument("--gta", type=Path, help="GTADIR from fastspeak gta: train on its mels")
    voc.add_argument("--max-steps", type=int, help="stop at this step (default: config)")
    voc.add_argument(
        "--max-minutes",
        type=float,
        help="also stop (validate, save) after this much wall time; --resume continues",
    )
    voc.set_defaults(handler=_command_train_vocoder)

    gta = commands.add_parser(
        "gta",
        help="ground-truth-aligned mels of a trained acoustic model, for vocoder fine-tuning",
        description=(
            "Run a trained acoustic model teacher-forced (the data's durations, pitch, energy; "
            "on a --no-alignments FEATDIR the durations of the checkpoint's own aligner) "
            "over every utterance of FEATDIR and write GTADIR: its mels (same frame counts as "
            "the recordings' mels) per id, manifests naming the audio span of each, and "
            "report.json. Then: fastspeak train-vocoder --gta GTADIR --init-from VOCODER_CKPT."
        ),
    )
    gta.add_argument(
        "--checkpoint", type=Path, required=True, help="the acoustic model (checkpoint or voice)"
    )
    gta.add_argument("--data", type=Path, required=True, help="the FEATDIR it was trained on")
    gta.add_argument("--out", type=Path, required=True, help="GTADIR (must be new)")
    gta.add_argument("--batch-size", type=int, default=16)
    gta.add_argument("--device", default="cpu")
    gta.add_argument("--no-ema", action="store_true", help="use the raw, not the EMA weights")
    gta.add_argument("--quiet", action="store_true", help="no progress bar")
    gta.set_defaults(handler=_command_gta)

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
    al.add_argument(
        "--data", type=Path, help="FEATDIR from fastspeak preprocess (with --resume: the run's own)"
    )
    al.add_argument(
        "--out",
        type=Path,
        help="run folder; with --check the JSON report (default FEATDIR/alignment_check.json)",
    )
    al.add_argument(
        "--max-steps", type=int, help="stop training at this step (default align.steps)"
    )
    al.add_argument(
        "--max-minutes",
        type=float,
        help="also stop training (validate, save, export) after this much wall time",
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
    syn.add_argument(
        "--checkpoint",
        type=Path,
        help="a training checkpoint or a voice folder (default: the bundled voice)",
    )
    syn.add_argument("--text", help="the text to speak")
    syn.add_argument("--text-file", type=Path, help="one utterance per line, batched")
    syn.add_argument("--out", type=Path, help="FILE.wav for --text, a folder for --text-file")
    syn.add_argument(
        "--sentences",
        type=Path,
        help="a FEATDIR manifest (test.jsonl): synthesise its tokens, mels only (--mels-out)",
    )
    syn.add_argument(
        "--mels-out", type=Path, help="with --sentences: FILE.npz of mels by utterance id"
    )
    syn.add_argument(
        "--speaker",
        help="speaker name or id of a multi-speaker model (a name first: numeric names, as "
        "LibriTTS's, are names); default: the lowest id",
    )
    syn.add_argument("--speed", type=float, default=1.0, help="speaking rate, 2.0 = twice as fast")
    syn.add_argument("--pitch", type=float, default=0.0, help="pitch shift in semitones")
    syn.add_argument("--energy", type=float, default=0.0, help="energy change in dB")
    syn.add_argument("--batch-size", type=int, default=8)
    syn.add_argument(
        "--vocoder",
        help="griffinlim or hifigan:PATH (a train-vocoder checkpoint or an exported "
        "generator); default: the voice's own HiFi-GAN when it ships one, else griffinlim",
    )
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
    dis.add_argument(
        "--checkpoint", type=Path, required=True, help="the teacher (checkpoint or voice)"
    )
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
    ev.add_argument("--checkpoint", type=Path, help="the acoustic model to synthesise with")
    ev.add_argument(
        "--mels",
        type=Path,
        nargs="+",
        help="instead of --checkpoint: judge these mels (.npz by utterance id, e.g. from "
        "`fastspeak synthesize --sentences test.jsonl --mels-out`), one system per file",
    )
    ev.add_argument(
        "--no-references",
        action="store_true",
        help="with --mels: skip the teacher and ceiling rows (already judged elsewhere)",
    )
    ev.add_argument(
        "--sentences",
        type=Path,
        required=True,
        help="a .txt (one sentence a line) or a FEATDIR manifest such as test.jsonl",
    )
    ev.add_argument("--out", type=Path, required=True, help="REPORT.json (REPORT.md beside it)")
    ev.add_argument("--limit", type=int, help="only the first N sentences")
    ev.add_argument(
        "--vocoder",
        help="griffinlim or hifigan:PATH (a train-vocoder checkpoint or an exported "
        "generator); default: the voice's own HiFi-GAN when it ships one, else griffinlim",
    )
    ev.add_argument("--device", default="cpu")
    ev.add_argument("--quiet", action="store_true")
    ev.set_defaults(handler=_command_evaluate)

    sv = commands.add_parser(
        "serve",
        help="HTTP server with a web page: /api/tts, /api/mel, /v1/audio/speech, /api/voices, "
        "/health",
        description=(
            "Serve one voice over HTTP (FastAPI + uvicorn). Open http://HOST:PORT/ for the web "
            "page. POST /api/tts {text, speaker, speed, pitch, energy, stream} -> audio/wav; "
            "POST /api/mel (same body) -> image/png; POST /v1/audio/speech (OpenAI-style); "
            "GET /api/voices; GET /health."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    sv.add_argument("--checkpoint", type=Path, help="checkpoint or voice folder (default: bundled)")
    sv.add_argument("--host", default="127.0.0.1")
    sv.add_argument("--port", type=int, default=8000)
    sv.add_argument("--max-chars", type=int, default=2000, help="longer texts get 413")
    sv.add_argument(
        "--max-tokens",
        type=int,
        default=2500,
        help="texts that expand to more sounds (numbers, symbols and abbreviations spelled "
        "out; ~0.9 per character of prose) get 413: bounds the work of one request",
    )
    sv.add_argument(
        "--max-queue",
        type=int,
        default=64,
        help="requests that may wait for a busy worker; more get 503 (0: none waits)",
    )
    sv.add_argument(
        "--workers", type=int, default=1, help="synthesis threads (requests made at once)"
    )
    sv.add_argument(
        "--worker-threads",
        type=int,
        default=1,
        help="intra-op torch threads of each synthesis thread (1: OpenMP regions started off "
        "the main thread cost more than they give; use --workers for more cores)",
    )
    sv.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    sv.add_argument(
        "--vocoder",
        help="griffinlim or hifigan:PATH; default: the voice's own HiFi-GAN, else griffinlim",
    )
    sv.add_argument("--device", default="cpu")
    sv.set_defaults(handler=_command_serve)

    ex = commands.add_parser(
        "export",
        help="pack a checkpoint or voice for shipping: a voice folder (fp16 safetensors + JSON)"
        " or an ONNX bundle",
        description=(
            "--format voice: OUT/model.safetensors (half-precision weights, EMA when present) "
            "and OUT/voice.json (config, vocabulary, statistics, speakers, voice card); with "
            "--vocoder, the HiFi-GAN too (OUT/vocoder.safetensors + vocoder.json, fp16), "
            "which then speaks by default. "
            "Synthesis, evaluation and the server take the folder wherever they take a "
            "checkpoint. --format onnx: OUT/acoustic.onnx (controls as inputs, dynamic "
            "lengths) + OUT/voice.json, for onnxruntime without torch (fastspeak.runtime)."
        ),
    )
    ex.add_argument(
        "--format",
        choices=["voice", "onnx"],
        default="voice",
        help="voice: fp16 safetensors + JSON; onnx: OUT/acoustic.onnx + OUT/voice.json",
    )
    ex.add_argument("--checkpoint", type=Path, help="checkpoint or voice (default: bundled)")
    ex.add_argument("--out", type=Path, required=True, help="the folder to write")
    ex.add_argument("--card", type=Path, help="JSON voice card (data, licence, notes)")
    ex.add_argument(
        "--vocoder",
        help="a HiFi-GAN (hifigan:PATH, a train-vocoder checkpoint or an exported generator) "
        "to ship with it: --format voice bundles it as OUT/vocoder.safetensors (used by "
        "default), --format onnx writes OUT/vocoder.onnx (default there: the voice's own)",
    )
    ex.add_argument(
        "--vocoder-int8",
        action="store_true",
        default=None,
        help="with --format voice --vocoder: also ship it as an int8 ONNX model (calibrated on "
        "the voice's own mels), which the CPU path then uses: ~1.6x faster; check its MOS "
        "(re-exporting a voice that keeps its own vocoder keeps its int8 model)",
    )
    ex.add_argument(
        "--report",
        type=Path,
        help="a `fastspeak evaluate` REPORT.json: its summaries join the card",
    )
    ex.add_argument(
        "--griffinlim",
        metavar="JSON",
        help="--format voice: Griffin-Lim options the voice speaks with when it uses "
        "Griffin-Lim, e.g. '{\"power\": 1.15}' (sharper harmonics for smooth mels); '{}' "
        "removes a source voice's options",
    )
    ex.set_defaults(handler=_command_export)
    return parser


_AFTER_INTERRUPT: dict[Callable[[argparse.Namespace], int], str] = {
    _command_corpus_teacher: "the utterances made so far are kept; the same command goes on",
    _command_preprocess: "the features made so far are cached; the same command goes on",
    _command_train: "checkpoints/latest.pt holds the step reached; add --resume to go on",
    _command_train_vocoder: "checkpoints/latest.pt holds the step reached; add --resume to go on",
    _command_align: "checkpoints/latest.pt holds the step reached; add --resume to go on",
    _command_gta: "delete the unfinished --out folder and run the command again",
    _command_distill: "delete the unfinished --out folder and run the command again",
}
"""What an interrupted command kept, and how to go on (nothing for the commands that leave
nothing half-made)."""


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
    except OSError as error:
        # a path the system refused (a read-only or special folder, a full disk...): name it
        if error.filename is None:
            raise
        print(f"fastspeak: error: {error.strerror or error}: {error.filename}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"fastspeak: interrupted; {_AFTER_INTERRUPT.get(handler, '')}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
