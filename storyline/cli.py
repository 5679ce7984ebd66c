"""The ``storyline`` command line: the main way in.

Every command reads or writes one SQLite file (``--db``, default ``storyline.db``
or ``$STORYLINE_DB``). Domain errors become one clean message and exit code 1;
a user mistake never shows a traceback.
"""

from __future__ import annotations

import sys

import click

from storyline.commands.alerts import alerts_group
from storyline.commands.browse import articles, entities, events, explain, export, search, stories, timeline
from storyline.commands.correct import correct_group
from storyline.commands.ingest import ingest, watch
from storyline.commands.measure import bench, eval_group
from storyline.commands.serve import doctor, serve
from storyline.commands.similar import similar


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="storyline")
def main() -> None:
    """Storyline turns scraped news articles into events, stories and timelines.

    \b
    Typical session:
      storyline ingest ../shared/seeds          # read, clean, enrich, cluster, store
      storyline events                          # what happened, which articles report it
      storyline timeline --entity "Poutine"     # any spelling or language
      storyline articles --format json          # everything extracted, with confidences
    """


for command in (ingest, watch, articles, events, stories, entities, explain, timeline, export, similar, search, serve,
                doctor, bench, eval_group, alerts_group, correct_group):
    main.add_command(command)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
