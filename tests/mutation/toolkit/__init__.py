"""The parts every catalogue builds its servers from: the reference with one thing changed.

- :mod:`.answers`: whole requests and answers, seen and rewritten on their way (ASGI middleware);
- :mod:`.documents`: an answer's JSON document walked (items, errors, links);
- :mod:`.pages`: the audience list's query and pages, rewritten;
- :mod:`.stores`: the reference's store, misbehaving in one method.
"""
