"""Training: the loop, per-family steps, losses, augmentation, EMA and checkpoints."""
