from .trunks import TrunkAddress

__all__ = ["TrunkAddress"]
