"""Comparing a lucidgrad module with its PyTorch twin after both ran backward."""
import numpy as np


def assert_parameter_grads_match(ours, theirs, atol=1e-6):
    """Every parameter gradient of ``ours`` equals that of the same-named parameter of the
    PyTorch module ``theirs``, to ``atol``."""
    torch_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, torch_params[name].grad.numpy(), atol=atol,
                                   err_msg=name)
