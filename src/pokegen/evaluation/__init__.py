"""Honest offline metrics for generators: SWD, precision/recall, diversity, FID/KID, novelty,
and type accuracy of conditional samples."""

from pokegen.evaluation.classifier import TypeClassifier, train_classifier
from pokegen.evaluation.conditional import conditional_accuracy, conditional_metrics
from pokegen.evaluation.evaluate import compute_metrics, evaluate_run, format_table
from pokegen.evaluation.novelty import NoveltyResult, novelty, save_novelty_sheet
from pokegen.evaluation.prdc import prdc, precision_recall
from pokegen.evaluation.registry import DIRECTIONS, GENERATION_METRICS, direction, evaluate_images
from pokegen.evaluation.report import write_report
from pokegen.evaluation.swd import swd

__all__ = [
    "DIRECTIONS",
    "GENERATION_METRICS",
    "NoveltyResult",
    "TypeClassifier",
    "compute_metrics",
    "conditional_accuracy",
    "conditional_metrics",
    "direction",
    "evaluate_images",
    "evaluate_run",
    "format_table",
    "novelty",
    "prdc",
    "precision_recall",
    "save_novelty_sheet",
    "swd",
    "train_classifier",
    "write_report",
]
