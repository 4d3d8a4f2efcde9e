"""``snnconvert export MODEL -o PATH``: convert a Keras model and write it as a NIR file."""


def add_export_command(subcommands, epilog=None):
    """Register ``export`` on the ``argparse`` subparsers of the ``snnconvert`` command."""
    summary = "write the spiking network as a NIR graph (HDF5)"
    export = subcommands.add_parser("export", help=summary, description=summary, epilog=epilog)
    export.add_argument("model", help="a .h5 or .keras model file")
    export.add_argument("-o", "--output", required=True, help="the NIR file to write, e.g. net.nir")
    export.add_argument("--scale", type=float, default=1.0,
                        help="scale_firing_rates: the gain and the spike amplitude 1/scale, folded into the weights "
                        "where they can take them (docs/export.md); default 1, as in the Python API's convert() "
                        "(evaluate and sweep calibrate instead: see their --scale auto)")
    export.add_argument("--keep-scales", action="store_true",
                        help="write NIR's literal form: each gain as the IF's r and each amplitude as a Scale "
                        "node, weights as in Keras (Sinabs, snnTorch and Norse cannot read it; docs/export.md)")
    export.add_argument("--synapse", type=float,
                        help="low-pass synapse time constant in seconds, exported as NIR LI nodes; 0 for none "
                        "(default: the Python API's default, currently none)")
    # export has no calibration: the shared option check finds these unset
    export.set_defaults(run=run_export, calibration_samples=None, percentile=None, target_rate=None)
    return export


def run_export(args):
    # Imported here, after the arguments are checked: they load TensorFlow.
    from snnconvert.cli.quiet import import_tensorflow_quietly

    import_tensorflow_quietly()
    from snnconvert.conversion import convert
    from snnconvert.export.nir import export_nir
    from snnconvert.loading import load_keras_model

    model = load_keras_model(args.model)
    synapse = {} if args.synapse is None else {"synapse": args.synapse}
    network = convert(model, scale_firing_rates=args.scale, **synapse)
    graph = export_nir(network, args.output, fold_scales=not args.keep_scales)
    described = "API default" if args.synapse is None else f"{args.synapse:g} s"
    print(f"wrote {args.output}: NIR graph of {len(graph.nodes)} nodes and {len(graph.edges)} edges "
          f"from {args.model} (scale {args.scale:g}, synapse {described})")
    for note in network.notes:
        print(f"note: {note}")
