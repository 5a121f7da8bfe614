"""The published figures of the tutorial fastlogreg grew out of: the expected values of test_tutorial.py.

The source is a blog tutorial (its title and author are not recorded in the project's notes) that trained
binary logistic regression by hand in NumPy, then in PyTorch, on 12 NBA rookies: average score, rebounds
and assists, and whether each was drafted. The numbers below are copied from its data table and from what
its NumPy run printed; none was computed by fastlogreg.
"""

# The data table (avg_score, rebound, asist -> draft), in the tutorial's row order.
FEATURES = [
    [12, 3, 6],
    [13, 4, 4],
    [13, 4, 6],
    [12, 9, 9],
    [14, 4, 5],
    [14, 4, 4],
    [17, 2, 2],
    [17, 6, 5],
    [21, 5, 7],
    [21, 9, 3],
    [24, 11, 11],
    [24, 4, 5],
]
DRAFTED = [0, 1, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0]

# The NumPy run: np.random.seed(SEED), then W = randn(3, 1) and B = randn(1, 1), in that order; summed
# binary cross-entropy; plain full-batch gradient descent, EPOCHS steps of LEARNING_RATE.
SEED = 220104
LEARNING_RATE = 0.001
EPOCHS = 3000
# The same run as train()'s keywords.
TUTORIAL = dict(learning_rate=LEARNING_RATE, epochs=EPOCHS, reduction="sum", init="normal", random_state=SEED)

# What it printed: the start, the loss before and after training, the trained W and B, the predictions.
START_W = [-0.30356914, -0.56552733, -0.44174438]
START_B = 0.01214057
LOSS_BEFORE = 70.75679650741478
LOSS_AFTER = 6.220960326814549


def as_printed(loss: float) -> str:
    """A loss to the 16 significant digits the tutorial printed, which the tests compare with the
    tutorial's text (repr of the figures above). For the loss before training those 16 digits name one
    float. For the loss after, they name two: the exact loss (mpmath, at the trained weights) lies 0.01
    of a last-bit step from the midpoint between 6.220960326814549 and 6.2209603268145495, so which one
    a backend's sums land on is their rounding's coin flip, not a figure to hold a backend to."""
    return f"{loss:.16g}"


FINAL_W = [-0.19783118, 0.33655838, 0.42415269]
FINAL_B = -0.63608971
PREDICTIONS = [
    0.63286497,
    0.45883071,
    0.6644647,
    0.97888304,
    0.51531288,
    0.4102621,
    0.07742938,
    0.53516532,
    0.46538451,
    0.38011478,
    0.95183613,
    0.12819188,
]
