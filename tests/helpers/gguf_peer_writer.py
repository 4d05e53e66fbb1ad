#!/usr/bin/env python3
"""Writes GGUF files with llama.cpp's own Python writer (python3-gguf), the
peer implementation halobox's reader is checked against, and prints what it
wrote as JSON so the test can compare it with `halobox models inspect`.

Usage: gguf_peer_writer.py OUTDIR > expected.json
"""
import json
import os
import sys

import numpy as np
import gguf

out = sys.argv[1]
expected = {}


def write(name, alignment=None):
    w = gguf.GGUFWriter(os.path.join(out, name), "llama")
    meta = {}
    if alignment is not None:
        # add_custom_alignment sets the key and pads the data to match
        w.add_custom_alignment(alignment)
        meta["general.alignment"] = alignment
    w.add_uint8("t.u8", 200)
    w.add_int8("t.i8", -100)
    w.add_uint16("t.u16", 60000)
    w.add_int16("t.i16", -30000)
    w.add_uint32("t.u32", 4000000000)
    w.add_int32("t.i32", -2000000000)
    w.add_float32("t.f32", 0.5)
    w.add_uint64("t.u64", 2**53 - 1)
    w.add_int64("t.i64", -(2**40))
    w.add_float64("t.f64", 0.25)
    w.add_bool("t.bool", True)
    w.add_string("t.str", "h\u00e9llo")
    w.add_array("t.arr_i32", [1, -2, 3])
    w.add_array("t.arr_str", ["a", "bc", "d\u00e9f"])
    w.add_array("t.arr_f32", [0.5, 1.5])
    meta.update({
        "general.architecture": "llama", "t.u8": 200, "t.i8": -100, "t.u16": 60000,
        "t.i16": -30000, "t.u32": 4000000000, "t.i32": -2000000000, "t.f32": 0.5,
        "t.u64": 2**53 - 1, "t.i64": -(2**40), "t.f64": 0.25, "t.bool": True,
        "t.str": "h\u00e9llo", "t.arr_i32": [1, -2, 3], "t.arr_f32": [0.5, 1.5],
    })
    tensors = {}
    a = np.arange(64 * 3, dtype=np.float32).reshape(3, 64)
    w.add_tensor("a.weight", a)
    tensors["a.weight"] = {"ne": [64, 3], "type": "F32"}
    b = np.ones((2, 32), dtype=np.float16)
    w.add_tensor("b.weight", b)
    tensors["b.weight"] = {"ne": [32, 2], "type": "F16"}
    # Q8_0 given as raw blocks: 2 rows of 64 values = 4 blocks of 34 bytes
    q = np.zeros((2, 2 * 34), dtype=np.uint8)
    w.add_tensor("q.weight", q, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
    tensors["q.weight"] = {"ne": [64, 2], "type": "Q8_0"}
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    expected[name] = {"metadata": meta, "tensors": tensors, "n_params": 64 * 3 + 32 * 2 + 64 * 2}


write("peer-default.gguf")
write("peer-align64.gguf", 64)
write("peer-align4096.gguf", 4096)
json.dump(expected, sys.stdout, indent=1)
