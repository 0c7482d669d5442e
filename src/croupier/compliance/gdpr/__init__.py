"""Privacy rights (GDPR articles 7, 15, 17, 20 and 30): consent per purpose, access and
portability exports, erasure by crypto-shredding, and retention by the record of processing.

Other domains plug in through ``hooks``: each contributes its section of an export, its
part of an erasure and its retention sweep, registered in ``sections``.
"""
