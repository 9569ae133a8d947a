"""``DataCollection``: a whole data set as one lazy, immutable chain that compiles to a plan.

Example:
    >>> from junco.collection import DataCollection
    >>> DataCollection.range(10).filter(lambda x: x % 3 == 0).map(str).to_list()
    ['0', '3', '6', '9']
"""

from junco.collection._collection import DataCollection, StreamConsumedError
from junco.collection._dispatch import Pairs, UnknownOperatorError
from junco.collection._row import Row
from junco.collection._safe import Empty

__all__ = ["DataCollection", "Empty", "Pairs", "Row", "StreamConsumedError", "UnknownOperatorError"]
