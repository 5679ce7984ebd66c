import math

import pytest

from storyline.metrics import bcubed, pairwise, roc_auc


def test_metrics_bcubed_and_pairwise_match_hand_computation() -> None:
    # gold: {a,b,c} {d,e}; predicted: {a,b} {c,d,e}
    gold = {"a": 1, "b": 1, "c": 1, "d": 2, "e": 2}
    predicted = {"a": "x", "b": "x", "c": "y", "d": "y", "e": "y"}
    # BCubed precision per item: a 2/2, b 2/2, c 1/3, d 2/3, e 2/3 -> (1+1+1/3+2/3+2/3)/5 = 11/15
    # BCubed recall per item:    a 2/3, b 2/3, c 1/3, d 2/2, e 2/2 -> (2/3+2/3+1/3+1+1)/5 = 11/15
    scores = bcubed(gold, predicted)
    assert scores["precision"] == pytest.approx(11 / 15)
    assert scores["recall"] == pytest.approx(11 / 15)
    assert scores["f1"] == pytest.approx(11 / 15)
    # Pairs: gold {ab, ac, bc, de} = 4; predicted {ab, cd, ce, de} = 4; shared {ab, de} = 2
    pairs = pairwise(gold, predicted)
    assert pairs["precision"] == pytest.approx(0.5)
    assert pairs["recall"] == pytest.approx(0.5)


def test_metrics_perfect_and_singleton_clusterings() -> None:
    gold = {"a": 1, "b": 1, "c": 2}
    assert bcubed(gold, gold)["f1"] == pytest.approx(1.0)
    singletons = {k: k for k in gold}
    assert bcubed(gold, singletons)["precision"] == pytest.approx(1.0)
    assert bcubed(gold, singletons)["recall"] == pytest.approx((0.5 + 0.5 + 1) / 3)


def test_metrics_roc_auc_counts_ties_half() -> None:
    assert roc_auc([0.9, 0.8, 0.1, 0.2], [1, 1, 0, 0]) == pytest.approx(1.0)
    assert roc_auc([0.5, 0.5], [1, 0]) == pytest.approx(0.5)
    assert roc_auc([0.1, 0.9, 0.4], [1, 0, 0]) == pytest.approx(0.0)
    assert math.isnan(roc_auc([0.1], [1]))


def test_pearson_and_spearman_against_hand_computed_values() -> None:
    from storyline.metrics import pearson, ranks, spearman

    # x = 1,2,3,4; y = 2,4,5,9: means 2.5 and 5; cov = 1.5*3+0.5*1+0.5*0+1.5*4 = 11; var 5 and 26.
    assert pearson([1, 2, 3, 4], [2, 4, 5, 9]) == pytest.approx(11 / (5 * 26) ** 0.5)
    assert ranks([10, 20, 20, 5]) == [2.0, 3.5, 3.5, 1.0]
    assert spearman([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)  # 1 - 6*2/(4*15)
    assert spearman([3, 1, 2], [30, 10, 20]) == pytest.approx(1.0)
    assert pearson([1, 1, 1], [1, 2, 3]) != pearson([1, 1, 1], [1, 2, 3])  # NaN for a constant side
