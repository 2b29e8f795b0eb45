"""Round a channel count to a multiple of 8 (or another divisor), never losing more than 10%.

Hardware (SIMD lanes, tensor cores) runs fastest on channel counts divisible by 8, so the
MobileNets round every width, after scaling it by a width multiplier, with this rule.
MobileNet V2 (https://arxiv.org/abs/1801.04381). Taught in chapter 28.
"""

from __future__ import annotations


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Nearest multiple of `divisor` to `value` (at least `min_value`, default `divisor`).

    If rounding down would drop more than 10% of `value`, go one multiple up instead,
    e.g. make_divisible(18) = 24, because 16 < 0.9 * 18.
    """
    if not isinstance(divisor, int) or isinstance(divisor, bool) or divisor < 1:
        raise ValueError(f"divisor must be a positive int, got divisor={divisor!r}.")
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0:
        raise ValueError(f"value must be a positive number (a channel count), got value={value!r}.")
    if min_value is not None and (not isinstance(min_value, int) or isinstance(min_value, bool)
                                  or min_value < 1):
        raise ValueError(f"min_value must be a positive int or None, got min_value={min_value!r}.")
    floor = divisor if min_value is None else min_value
    rounded = max(floor, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:  # rounding down lost more than 10%: take the next multiple
        rounded += divisor
    return rounded
