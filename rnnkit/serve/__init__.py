"""``rnnkit serve``: saved models over HTTP (FastAPI + uvicorn, the ``serve`` extra).

* :mod:`rnnkit.serve.app`: the application, its routes, errors, API key and body limit;
* :mod:`rnnkit.serve.batch`: continuous batching of every generation of a language model;
* :mod:`rnnkit.serve.models`: the served folders, loaded by kind, and the other kinds' calls;
* :mod:`rnnkit.serve.schemas`: the request and response bodies (the OpenAPI schema);
* :mod:`rnnkit.serve.cli`: the command; ``static/``: the playground page.
"""
