"""Ways to start a collection: ``range``, lists, globs, CSV/JSON/Parquet files, pandas and Arrow tables."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from junco.collection import _readers
from junco.collection._sources import ColumnsSource, iterable_source

PathLike = str | os.PathLike[str]


class SourcesMixin:
    """Class methods that make a :class:`DataCollection` from data (mixed into it)."""

    _of: Any  # DataCollection._of

    @classmethod
    def range(cls, *args: int) -> Any:
        """Integers, as Python's ``range``; a row's id is its position.

        Args:
            *args: ``stop``, or ``start, stop[, step]``.

        Returns:
            A value-mode collection held in memory (reusable, indexable).

        Example:
            >>> from junco import DataCollection
            >>> DataCollection.range(5).to_list()
            [0, 1, 2, 3, 4]
        """
        return cls._of(ColumnsSource(None, {"_": range(*args)}, f"range({', '.join(map(str, args))})"), True)

    @classmethod
    def from_list(cls, items: Iterable[Any]) -> Any:
        """Any iterable, one value per row (same as the constructor); ids are positions.

        Args:
            items: a list/tuple (held in memory), or an iterator/generator (a single-pass stream).

        Returns:
            A value-mode collection.

        Example:
            >>> from junco import DataCollection
            >>> DataCollection.from_list(["a", "b"]).map(str.upper).to_list()
            ['A', 'B']
        """
        return cls._of(iterable_source(items), True)

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> Any:
        """Rows with named fields from mappings (column mode); ids are positions.

        Args:
            rows: dicts (or other mappings) with the same keys.
            columns: the fields to keep, in order; default: the first row's keys.

        Returns:
            A column-mode collection held in memory.

        Example:
            >>> from junco import DataCollection
            >>> DataCollection.from_rows([{"a": 1, "b": 2}])["b"].to_list()
            [2]
        """
        src, value = _readers.records_source([dict(r) for r in rows], columns, f"{len(rows)} rows")
        return cls._of(src, value)

    @classmethod
    def from_glob(cls, *patterns: PathLike, recursive: bool = False) -> Any:
        """File paths matching glob patterns, sorted; each path is the row's value and its id.

        Args:
            *patterns: one or more glob patterns, e.g. ``"images/*.jpg"``.
            recursive: let ``**`` match any number of directories.

        Returns:
            A value-mode collection; the directory is listed again at each run.

        Example:
            >>> import tempfile, pathlib
            >>> from junco import DataCollection
            >>> d = pathlib.Path(tempfile.mkdtemp()); (d / "b.txt").touch(); (d / "a.txt").touch()
            >>> [pathlib.Path(p).name for p in DataCollection.from_glob(str(d / "*.txt"))]
            ['a.txt', 'b.txt']
        """
        return cls._of(_readers.glob_source(patterns, recursive), True)

    @classmethod
    def read_csv(cls, path: PathLike, *, columns: Sequence[str] | None = None, **kwargs: Any) -> Any:
        """A CSV file (via pandas, read in chunks at run time); ids are row numbers.

        Args:
            path: the file.
            columns: the columns to read (default: all).
            **kwargs: passed to ``pandas.read_csv`` (``sep``, ``dtype``, ...).

        Returns:
            A column-mode collection.

        Example:
            >>> import tempfile, pathlib
            >>> from junco import DataCollection
            >>> f = pathlib.Path(tempfile.mkdtemp()) / "t.csv"; _ = f.write_text("a,b\\n1,x\\n2,y\\n")
            >>> [r.b for r in DataCollection.read_csv(f)]
            ['x', 'y']
        """
        return cls._of(_readers.csv_source(path, columns, kwargs), False)

    @classmethod
    def read_json(cls, path: PathLike, *, columns: Sequence[str] | None = None, lines: bool | None = None) -> Any:
        """A JSON array, or JSON lines (guessed from the first character unless ``lines`` is given).

        Args:
            path: the file.
            columns: fields to keep (default: the first object's keys; a missing key reads ``None``).
            lines: ``True`` for one JSON value per line, ``False`` for one array.

        Returns:
            Column mode for objects, value mode for other JSON values; ids are positions.

        Example:
            >>> import tempfile, pathlib
            >>> from junco import DataCollection
            >>> f = pathlib.Path(tempfile.mkdtemp()) / "t.json"; _ = f.write_text('[{"a": 1}, {"a": 2}]')
            >>> DataCollection.read_json(f)["a"].to_list()
            [1, 2]
        """
        src, value = _readers.json_source(path, columns, lines)
        return cls._of(src, value)

    @classmethod
    def read_jsonl(cls, path: PathLike, *, columns: Sequence[str] | None = None) -> Any:
        """JSON lines: one JSON value per line, read lazily at run time.

        Args:
            path: the file.
            columns: fields to keep (default: the first object's keys).

        Returns:
            Column mode for objects, value mode for other JSON values; ids are positions.

        Example:
            >>> import tempfile, pathlib
            >>> from junco import DataCollection
            >>> f = pathlib.Path(tempfile.mkdtemp()) / "t.jsonl"; _ = f.write_text('{"a": 1}\\n{"a": 2}\\n')
            >>> [r.a for r in DataCollection.read_jsonl(f)]
            [1, 2]
        """
        src, value = _readers.json_source(path, columns, True)
        return cls._of(src, value)

    @classmethod
    def read_parquet(cls, path: PathLike, *, columns: Sequence[str] | None = None) -> Any:
        """A Parquet file (via pyarrow, batch by batch at run time); ids are row numbers.

        Args:
            path: the file.
            columns: the columns to read (default: all).

        Returns:
            A column-mode collection.

        Example:
            >>> import tempfile, pathlib
            >>> from junco import DataCollection
            >>> f = pathlib.Path(tempfile.mkdtemp()) / "t.parquet"
            >>> _ = DataCollection.from_rows([{"a": 1}, {"a": 2}]).to_parquet(f)
            >>> DataCollection.read_parquet(f)["a"].to_list()
            [1, 2]
        """
        return cls._of(_readers.parquet_source(path, columns), False)

    @classmethod
    def from_pandas(cls, df: Any) -> Any:
        """A pandas DataFrame's rows; the frame's index gives the ids.

        Args:
            df: the DataFrame (its columns are copied at build time).

        Returns:
            A column-mode collection held in memory.

        Example:
            >>> import pandas as pd
            >>> from junco import DataCollection
            >>> DataCollection.from_pandas(pd.DataFrame({"a": [1, 2]}, index=["x", "y"])).ids()
            ['x', 'y']
        """
        return cls._of(_readers.pandas_source(df), False)

    @classmethod
    def from_arrow(cls, table: Any) -> Any:
        """A pyarrow Table or RecordBatch; ids are row numbers.

        Args:
            table: the table (its columns are copied at build time).

        Returns:
            A column-mode collection held in memory.

        Example:
            >>> import pyarrow as pa
            >>> from junco import DataCollection
            >>> DataCollection.from_arrow(pa.table({"a": [1, 2]}))["a"].to_list()
            [1, 2]
        """
        return cls._of(_readers.arrow_source(table), False)
