"""placeholder"""
__all__ = []
def to_torch_state_dict(*a): pass
def from_torch_state_dict(*a): pass
def save_torch_weights(*a): pass
def load_torch_weights(*a): pass
