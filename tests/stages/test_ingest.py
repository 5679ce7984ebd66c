import json
from pathlib import Path

from storyline.article import Article
from storyline.stages.ingest import IngestFailure, decode_bytes, iter_paths, read_source


def _read(path: Path) -> list[Article | IngestFailure]:
    return list(read_source(path))


def test_ingest_text_keeps_leading_url_as_provenance(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("https://www.example.org/news/1-story\n120\nTitle here\n\nBody text of the story.\n")
    (article,) = _read(path)
    assert isinstance(article, Article)
    assert article.id == "a"
    assert article.url == "https://www.example.org/news/1-story"
    assert article.outlet == "example.org"
    assert article.source == str(path)


def test_ingest_html_extracts_main_text_and_metadata(tmp_path: Path) -> None:
    body = "<p>" + "Putin met Netanyahu in Paris on Sunday for talks about Syria. " * 6 + "</p>"
    html = (
        "<html><head><title>T</title><meta property='og:site_name' content='Example News'>"
        "<meta name='date' content='2018-11-11'></head><body><nav>Home | World</nav>"
        f"<article><h1>Leaders meet in Paris</h1>{body}</article><footer>Cookie policy</footer></body></html>"
    )
    path = tmp_path / "page.html"
    path.write_text(html)
    (article,) = _read(path)
    assert isinstance(article, Article)
    assert article.extras["given_title"] == "Leaders meet in Paris"
    assert article.outlet == "Example News"
    assert article.published.value is not None and article.published.value.isoformat() == "2018-11-11"
    assert "Home | World" not in article.raw_text


def test_ingest_jsonl_reports_broken_lines_and_keeps_good_ones(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "x1", "title": "One", "text": "First article text.", "published": "2020-01-02",
                    "lang": "en", "url": "https://a.example/1"}),
        "{not json",
        json.dumps({"id": "x3", "title": "No text"}),
        json.dumps({"id": "x4", "text": "Fourth article text."}),
    ]
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(lines) + "\n")
    records = _read(path)
    articles = [r for r in records if isinstance(r, Article)]
    failures = [r for r in records if isinstance(r, IngestFailure)]
    assert [a.id for a in articles] == ["x1", "x4"]
    assert articles[0].published.value is not None and articles[0].published.confidence == 1.0
    assert articles[0].extras["given_language"] == "en"
    assert [(f.line, f.code) for f in failures] == [(2, "E004"), (3, "E005")]
    assert "line 2" in failures[0].reason


def test_ingest_rejects_binary_and_empty_files(tmp_path: Path) -> None:
    png = tmp_path / "image.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n")
    (png_result,) = _read(png)
    (empty_result,) = _read(empty)
    assert isinstance(png_result, IngestFailure) and png_result.code == "E003"
    assert isinstance(empty_result, IngestFailure) and empty_result.code == "E007"


def test_ingest_missing_path_is_a_failure_not_an_exception() -> None:
    (result,) = list(read_source("no/such/file.txt"))
    assert isinstance(result, IngestFailure) and result.code == "E001"


def test_decode_handles_utf16_and_latin1() -> None:
    assert decode_bytes("Élysée".encode("utf-16"), "x") == "Élysée"
    assert decode_bytes("café à Paris".encode("latin-1"), "x") == "café à Paris"


def test_iter_paths_recurses_sorted_and_skips_hidden(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.txt").write_text("x")
    (tmp_path / "1.txt").write_text("x")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "3.txt").write_text("x")
    names = [Path(p).relative_to(tmp_path).as_posix() for p in iter_paths([str(tmp_path)])]
    assert names == ["1.txt", "b/2.txt"]


def test_ingest_unreadable_file_and_folder_are_failures_not_silence(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """As root every file is readable, so the refusals are what the OS would say to anyone else."""
    (tmp_path / "ok.txt").write_text("Flooding closed roads in Lyon on Monday, officials said.\n")
    (tmp_path / "secret.txt").write_text("Flooding closed roads in Nantes on Monday, officials said.\n")
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "inside.txt").write_text("Flooding closed roads in Metz on Monday, officials said.\n")
    real_iterdir, real_read = Path.iterdir, Path.read_bytes

    def iterdir(self: Path):  # type: ignore[no-untyped-def]
        if self.name == "locked":
            raise PermissionError(13, "Permission denied")
        return real_iterdir(self)

    def read_bytes(self: Path) -> bytes:
        if self.name == "secret.txt":
            raise PermissionError(13, "Permission denied")
        return real_read(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    records = [r for item in iter_paths([str(tmp_path)]) for r in read_source(item)]
    failures = {Path(r.source).name: r for r in records if isinstance(r, IngestFailure)}
    assert [a.id for a in records if isinstance(a, Article)] == ["ok"]
    assert set(failures) == {"locked", "secret.txt"}
    assert all(f.code == "E009" and "Permission denied" in f.reason for f in failures.values())


def test_ingest_strings_are_made_storable(tmp_path: Path) -> None:
    path = tmp_path / "odd.jsonl"
    path.write_text(json.dumps({"id": "x\ud800y", "title": "T\u0000", "text": "Body\u0000 text \udfff here.",
                                "url": "http://[::1"}) + "\n")
    (article,) = _read(path)
    assert isinstance(article, Article)
    assert article.id == "x\ufffdy" and article.raw_text == "Body text \ufffd here."
    assert article.extras["given_title"] == "T" and article.url == "http://[::1" and article.outlet is None
    article.raw_text.encode("utf-8")  # what a store must be able to do


def test_ingest_jsonl_provenance_url_source_url_and_outlet(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [
        {"id": "a", "text": "Flooding closed roads.", "source_url": "https://www.example.org/floods"},
        {"id": "b", "text": "Fire in Porto.", "url": "https://news.example.com/fire", "outlet": "Example News"},
        {"id": "c", "text": "Strike in Ghent."}]) + "\n")
    a, b, c = _read(path)
    assert isinstance(a, Article) and isinstance(b, Article) and isinstance(c, Article)
    assert (a.url, a.outlet, a.confidence["outlet"]) == ("https://www.example.org/floods", "example.org", 0.9)
    assert (b.outlet, b.confidence["outlet"]) == ("Example News", 1.0)
    assert (c.outlet, c.confidence["outlet"], c.extras["read_from"]) == (None, 0.0, f"{path}:3")
