"""`deploytool import`: adopting live workloads into a manifest. plan.py decides what the
manifest says (pure), credentials.py which plain values must never be written, yaml_out.py
writes it (ruamel.yaml, comments kept on --merge)."""
