#!/usr/bin/env python3
"""Runs onnx.checker.check_model(full_check=True) on every model named in a list file (one path a line).

usage: check_models.py LIST_FILE      exit status 0 when every model passes; failures are printed.
Used by tests/unit-onnx-*.cpp to check gearc's exported models with ONNX's own checker.
"""
import sys

import onnx


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as f:
        paths = [line.strip() for line in f if line.strip()]
    failed = 0
    for path in paths:
        try:
            onnx.checker.check_model(onnx.load(path), full_check=True)
        except Exception as e:  # noqa: BLE001 - any failure is reported the same way
            failed += 1
            print(f"{path}: {str(e).strip()}")
    print(f"onnx.checker: {len(paths) - failed} of {len(paths)} models pass")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
