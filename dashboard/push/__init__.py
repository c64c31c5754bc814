"""The push side of the web process: the ``/live`` Socket.IO namespace (:mod:`namespace`) and the pushers that
turn events into room messages (:mod:`tickets`: ticket events; :mod:`visits`: the street rooms' visit figures).

Positions and worker alerts are pushed by the processors (``streams.emitter``) through the Socket.IO message queue;
what is pushed from here follows the same contract (:mod:`streams.contract`).
"""
