"""«My application»: status and history, ranking positions, documents; add a document, change
the answers, withdraw, submit again, delete my data.

- ``screen``: the application's screen and what changing it tells the staff (shared with the
  form's submit);
- routers: ``router`` (show, change the answers, withdraw, submit again) with ``upload`` (add a
  document) and ``delete`` (delete my data) included; ``router.get_router`` puts them together.

This ``__init__`` imports nothing, so that ``screen`` is imported without the routers.
"""
