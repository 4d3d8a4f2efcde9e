"""Backend-neutral description of a spiking network (numpy weights, no TensorFlow).

Node types live in one module per family; each module's ``__all__`` is re-exported.
"""

from snnconvert.ir.elementwise import *  # noqa: F403
from snnconvert.ir.graph import SpikingGraph  # noqa: F401
from snnconvert.ir.merging import *  # noqa: F403
from snnconvert.ir.nodes import InputNode, NeuronNode, Node, Rectifier, SynapseNode  # noqa: F401
from snnconvert.ir.passes import defer_synapses, fold_affine_into_linear  # noqa: F401
from snnconvert.ir.pooling import *  # noqa: F403
from snnconvert.ir.shaping import *  # noqa: F403
from snnconvert.ir.weighted import *  # noqa: F403
