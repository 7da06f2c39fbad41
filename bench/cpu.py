"""CPU seconds for the PostgreSQL benchmarks (bench/postgres.py,
bench/dbcopy.py): of dtcost's runs, and of the throwaway cluster's server."""
import os
import resource

TICK = os.sysconf("SC_CLK_TCK")


def client_cpu():
    """CPU seconds of the children this script has waited for (dtcost runs)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def server_cpu(pg):
    """CPU seconds of the PostgreSQL cluster so far: the postmaster, the
    backends it has reaped, and its live children."""
    with open(os.path.join(pg.data, "postmaster.pid")) as f:
        pm = f.readline().strip()
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        # fields[1] is ppid; [11..14] utime stime cutime cstime (proc(5), counted from state)
        if pid == pm:
            total += sum(int(x) for x in fields[11:15])
        elif fields[1] == pm:
            total += int(fields[11]) + int(fields[12])
    return total / TICK
