"""Parquet writing that gives the same file schema under pandas 2 and pandas 3.

pandas 3 stores text columns as its ``str`` dtype, which pyarrow writes as ``large_string``
where pandas 2 wrote ``string``; the bundled cohort is compared file for file with a fresh
generation, and readers should not see a schema change between pandas versions. Text columns
are therefore written as Arrow ``string`` in both.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["write_parquet"]


def write_parquet(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``df`` (without its index) to ``path``; ``large_string`` columns become
    ``string`` (dictionary-encoded categoricals keep string values the same way)."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    fields = []
    for f in table.schema:
        t = f.type
        if pa.types.is_large_string(t):
            t = pa.string()
        elif pa.types.is_dictionary(t) and pa.types.is_large_string(t.value_type):
            t = pa.dictionary(t.index_type, pa.string(), t.ordered)
        fields.append(pa.field(f.name, t, f.nullable, f.metadata))
    schema = pa.schema(fields, metadata=table.schema.metadata)
    path = Path(path)
    pq.write_table(table.cast(schema), path)
    return path
