"""Data augmentation (chapter 17): on a small training set a plain model overfits; shift + flip wins.

The same `fast_lenet` trains twice with one recipe on a few hundred Fashion-MNIST images, once
plain and once with the batched random shift (pad 2, crop 28) and mirror of `cnnlib.augment`.
The train-test gap is measured the honest way: accuracy on the *clean* training images in eval
mode minus test accuracy (the accuracy on augmented batches in training mode, which `fit`
reports, mixes in the harder augmented task and batch-norm's batch statistics).
"""

from __future__ import annotations

from cnnlib.experiments import Config, Result, experiment, over_seeds


def run(config: Config) -> Result:
    """Train plain and augmented `fast_lenet`; per-epoch curves and the final clean-train/test table."""
    import torch

    from cnnlib import augment
    from cnnlib.data import load_images
    from cnnlib.models import build_model
    from cnnlib.train import evaluate, fit

    train_data = load_images("fashion_mnist", train=True, limit=config["train_images"],
                             seed=config["data_seed"])
    test_data = load_images("fashion_mnist", train=False, limit=config["test_images"])
    recipes = {"plain": None,
               "shift + flip": augment.flip_and_crop(padding=config["padding"], seed=config["seed"])}
    epochs, rows = [], []
    for label, aug in recipes.items():
        torch.manual_seed(config["seed"])
        model = build_model("fast_lenet")
        history = fit(model, train_data, test_data, epochs=config["epochs"], lr=config["lr"],
                      batch_size=config["batch_size"], augment=aug, seed=config["seed"],
                      progress=False, verbose=False, name=f"fast_lenet, {label}")
        _, clean_train_acc = evaluate(model, train_data)  # clean images, eval mode
        rows.append({"run": label, "clean_train_acc": round(clean_train_acc, 4),
                     "test_acc": round(history.test_acc, 4),
                     "gap": round(clean_train_acc - history.test_acc, 4),
                     "batch_train_acc": round(history.epochs[-1]["train_acc"], 4),
                     "seconds": round(history.seconds, 1)})
        epochs += [{"run": label, **{k: round(v, 4) for k, v in row.items()}} for row in history.epochs]
    return {"epochs": epochs, "rows": rows, "train_images": len(train_data),
            "test_images": len(test_data), "data": train_data.name}


QUICK = {"train_images": 300, "test_images": 1000, "data_seed": 0, "epochs": 40, "lr": 3e-3,
         "batch_size": 32, "padding": 2, "seed": 0}
FULL = {**QUICK, "train_images": 1000, "test_images": 2000, "epochs": 60}

experiment("augmentation", quick=QUICK, full=FULL, chapter="17_data_augmentation",
           about="plain vs shift+flip on a small Fashion-MNIST subset: test accuracy, clean train-test gap")(run)


def edge_and_gap_cut(result: Result) -> dict:
    """One comparison's summary: both test accuracies and gaps, the accuracy edge, the gap cut."""
    plain, aug = result["rows"]
    return {"plain_test_acc": plain["test_acc"], "aug_test_acc": aug["test_acc"],
            "edge": round(aug["test_acc"] - plain["test_acc"], 4),
            "plain_gap": plain["gap"], "aug_gap": aug["gap"],
            "gap_cut": round(plain["gap"] - aug["gap"], 4)}


def run_seeds(config: Config) -> Result:
    """The comparison once per seed: how much of its accuracy edge and gap cut is luck."""
    return over_seeds(run, config, edge_and_gap_cut)


experiment("augmentation_seeds", quick={**QUICK, "seeds": [0, 1]}, full={**QUICK, "seeds": list(range(8))},
           chapter="17_data_augmentation",
           about="the quick augmentation comparison repeated over seeds: its accuracy edge and gap cut")(run_seeds)

experiment("augmentation_full_seeds", quick={**QUICK, "seeds": [1]}, full={**FULL, "seeds": [1, 2]},
           chapter="17_data_augmentation",
           about="the recorded augmentation comparison (seed 0) repeated with seeds 1 and 2")(run_seeds)
