"""Self-serve ops tasks: safe, audited, explainable (issue #3).

    commands.py       the `ops` CommandGroup (entry point `chatops.commands: ops`)
    backend.py        the typed Backend seam, its records and errors; CHATOPS_BACKEND selects one
    demo_backend.py   peewee tables with a realistic seed (the default backend)
    (the http backend, a JSON HTTP API a company implements, does network I/O: it lives in
                      adapters/ops_http.py, entry point `chatops.backends: http`; contract: docs/ops.md)
    approvals.py      policy as data (OpsPolicy) and the two-person approval flow
    ownership.py      which backend accounts a person owns; customers act on their own only
    explain.py        codes -> plain-language reasons and next steps; records -> Reply blocks
    deflection.py     suggest(text): the self-serve command for free support text
    demo.py           seed(echo): `chatops demo` seeds the demo backend
"""
