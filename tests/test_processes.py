import operator

import pytest

from infogan.data.processes import process_map


@pytest.mark.parametrize("workers", [1, 2])
def test_results_come_in_input_order(workers):
    with process_map(workers) as parallel_map:
        assert list(parallel_map(operator.mul, range(50), range(50, 100))) == [i * (i + 50) for i in range(50)]


def test_one_worker_is_the_builtin_map_and_an_error_reaches_the_caller():
    with process_map(1) as parallel_map:
        assert parallel_map is map
    with pytest.raises(ZeroDivisionError), process_map(2) as parallel_map:
        list(parallel_map(operator.truediv, [1, 2], [1, 0]))
