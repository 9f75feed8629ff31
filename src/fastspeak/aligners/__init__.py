"""Learned alignment without MFA (Badlani et al. 2022; FastPitch 1.1): a conv aligner with a
beta-binomial prior, forward-sum and binarisation losses, monotonic alignment search for hard
durations, standalone training and export (``fastspeak align``), checks and boundary metrics.

    mas.py      monotonic_alignment_search (numba), durations_to_attention
    prior.py    beta_binomial_prior, batch_log_prior (cached per shape)
    model.py    Aligner, AlignerOutput
    losses.py   forward_sum_loss, binarization_loss, AlignerLoss
    metrics.py  boundary_errors (ms)
    train.py    train_aligner, export_alignments (the ``fastspeak align`` command)
    check.py    check_alignments (``fastspeak align --check``)
"""
