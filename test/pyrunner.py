"""Run the Python cross-checks given on the command line with unittest.

Prints unittest's verbose report, then a last line "passed failed skipped"
that test/run.sh adds to its totals.  A module that cannot even be imported
counts as one failed test.
"""
import sys
import unittest


def main(paths):
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    for path in paths:
        name = path[:-3] if path.endswith(".py") else path
        suite.addTests(loader.loadTestsFromName(name))

    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)

    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = max(0, result.testsRun - failed - skipped)
    sys.stdout.flush()
    print(f"{passed} {failed} {skipped}")


if __name__ == "__main__":
    main(sys.argv[1:])
