"""Models generated from the contracts (libs/contracts) through their JSON Schema.

``outgoing``: what a client sends (command and query data); ``incoming``: what it receives
(replies, inbox assignments, events); ``messages``: each command's subject and models.
Field names are snake_case; on the wire they are camelCase (the models' aliases).
"""

from . import incoming, messages, outgoing

__all__ = ["incoming", "messages", "outgoing"]
