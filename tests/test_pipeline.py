import pytest

from storyline.errors import StorylineError
from storyline.pipeline import check_stages, clean_stage, default_stages, language_stage
from storyline.stages.dates import DateResolver


def test_pipeline_default_order_is_valid() -> None:
    check_stages(default_stages(use_ner=False))


def test_pipeline_rejects_a_stage_before_what_it_needs() -> None:
    with pytest.raises(StorylineError, match="needs 'text'"):
        check_stages([DateResolver(), clean_stage, language_stage])
