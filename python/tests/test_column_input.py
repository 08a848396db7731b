"""ColumnWriteInput and ValueSpec: the DataFrame writers' row input."""

from __future__ import annotations

import json

import pytest

from shardyfusion import ColumnWriteInput, ConfigValidationError, ValueSpec, VectorColumnInput


class SparkLikeRow:
    def __init__(self, **fields):
        self.fields = fields

    def asDict(self):
        return dict(self.fields)


def test_binary_col():
    spec = ValueSpec.binary_col("blob")
    assert spec.description == "binary_col:blob"
    assert spec.referenced_columns() == ["blob"]
    assert spec.encode({"blob": b"\x00\xff"}) == b"\x00\xff"
    assert spec.encode({"blob": bytearray(b"ab")}) == b"ab"
    assert spec.encode({"blob": "caf\u00e9"}) == "caf\u00e9".encode()
    assert spec.encode({"blob": None}) == b""
    with pytest.raises(ConfigValidationError, match="binary_col expects bytes/bytearray/str, got int"):
        spec.encode({"blob": 3})


def test_json_cols():
    some = ValueSpec.json_cols(["name", "age", "missing"])
    assert some.description == "json_cols:name,age,missing"
    assert some.referenced_columns() == ["name", "age", "missing"]
    row = {"uid": 1, "name": "ada", "age": 36}
    assert some.encode(row) == b'{"age":36,"missing":null,"name":"ada"}'
    every = ValueSpec.json_cols()
    assert every.description == "json_cols:all" and every.referenced_columns() is None
    assert json.loads(every.encode(SparkLikeRow(uid=2, name="b"))) == {"uid": 2, "name": "b"}
    assert ValueSpec.json_cols([]).description == "json_cols:all"


def test_callable_encoder():
    def as_key(row):
        return str(row["uid"]).encode()

    spec = ValueSpec.callable_encoder(as_key)
    assert spec.description == "as_key" and spec.referenced_columns() is None
    assert spec.encode({"uid": 7}) == b"7"


def test_column_write_input_rules():
    ColumnWriteInput(key_col="uid", value_spec=ValueSpec.json_cols(["name"])).validate()
    for bad, message in [
        (ColumnWriteInput(key_col="", value_spec=ValueSpec.json_cols()), "input.key_col must be non-empty"),
        (ColumnWriteInput(key_col="uid", value_spec=None), "input.value_spec is required"),
        (ColumnWriteInput(key_col="uid", value_spec="json"), "must be a ValueSpec"),
        (ColumnWriteInput(key_col="uid", value_spec=ValueSpec.json_cols(), vector=VectorColumnInput("emb")),
         "not supported yet"),
    ]:
        with pytest.raises(ConfigValidationError, match=message):
            bad.validate()
    with pytest.raises(AttributeError):
        ColumnWriteInput(key_col="uid", value_spec=None).extra = 1  # slots
