"""Training: the FastSpeech 2 loop, checkpoints, lr schedules, logging, DDP set-up.

Public API::

    from fastspeak.train import train
    result = train(config, feat_dir, run_dir, resume=False, init_from=None, max_steps=None)

Imports are lazy in the submodules' users: ``fastspeak.train.loop`` pulls in torch and the
models, ``fastspeak.train.schedule`` only the config.
"""

from fastspeak.train.checkpoint import (
    Checkpointer,
    CheckpointError,
    load_checkpoint,
    load_matching_weights,
    restore_model,
    save_checkpoint,
)
from fastspeak.train.loop import train
from fastspeak.train.schedule import LearningRateSchedule

__all__ = [
    "CheckpointError",
    "Checkpointer",
    "LearningRateSchedule",
    "load_checkpoint",
    "load_matching_weights",
    "restore_model",
    "save_checkpoint",
    "train",
]
