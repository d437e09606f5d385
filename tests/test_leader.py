"""One leader among the processes: only one holds the lock, renewals keep it, a holder that
dies loses it after its ttl and another process takes over, a stolen lock ends leadership."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.clock import Clock
from bot.delivery.leader import AlwaysLeader, LeaderElection, LeaderLock, process_owner
from bot.metrics import Metrics
from bot.web import Parts, health
from db.database import Database
from db.meta import MetaRepository
from tests.redis_server import redis_client

ROOT = Path(__file__).resolve().parents[1]
KEY = "test:leader"
DEADLINE = 15  # seconds: a generous bound for what should happen within a ttl or two


class Recorder:
    """The callbacks of an election: remembers the order of gains and losses."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.gained = asyncio.Event()
        self.lost = asyncio.Event()

    async def on_gain(self) -> None:
        self.events.append("gain")
        self.gained.set()

    async def on_loss(self) -> None:
        self.events.append("loss")
        self.lost.set()


@pytest.fixture
async def clients(redis_url: str) -> AsyncIterator[tuple[Redis, Redis]]:
    async with redis_client(redis_url) as first, redis_client(redis_url) as second:
        yield first, second


async def finish(election: LeaderElection | AlwaysLeader, task: asyncio.Task[None]) -> None:
    election.stop()
    await asyncio.wait_for(task, DEADLINE)


def test_owners_differ_between_instances() -> None:
    assert process_owner() != process_owner()


async def test_only_one_of_two_holders_gets_the_lock(clients: tuple[Redis, Redis]) -> None:
    first = LeaderLock(clients[0], KEY, "first")
    second = LeaderLock(clients[1], KEY, "second")
    taken = await asyncio.gather(first.acquire(), second.acquire())
    assert sorted(taken) == [False, True]
    winner, loser = (first, second) if taken[0] else (second, first)
    assert not await loser.renew()
    assert not await loser.release()
    assert await clients[0].get(KEY) == winner.owner.encode()
    assert await winner.release()
    assert await clients[0].get(KEY) is None


async def test_a_renewal_extends_the_lock(clients: tuple[Redis, Redis]) -> None:
    lock = LeaderLock(clients[0], KEY, "first", ttl_seconds=10)
    assert await lock.acquire()
    await asyncio.sleep(0.05)
    before = await clients[0].pttl(KEY)
    assert await lock.renew()
    assert before < await clients[0].pttl(KEY) <= 10_000


async def test_an_election_keeps_the_lock_by_renewing_it(clients: tuple[Redis, Redis]) -> None:
    leader = LeaderElection(LeaderLock(clients[0], KEY, "first", ttl_seconds=1.5))
    recorder = Recorder()
    task = asyncio.create_task(leader.run(recorder.on_gain, recorder.on_loss))
    await asyncio.wait_for(recorder.gained.wait(), DEADLINE)
    await asyncio.sleep(3)  # twice the ttl: only renewals keep the key
    assert await clients[1].get(KEY) == b"first"
    assert not await LeaderLock(clients[1], KEY, "second").acquire()
    assert recorder.events == ["gain"]
    await finish(leader, task)
    assert recorder.events == ["gain", "loss"]
    assert await clients[1].get(KEY) is None  # released on stop


async def test_a_holder_that_dies_loses_the_lock_to_another_after_its_ttl(
    clients: tuple[Redis, Redis],
) -> None:
    dead = LeaderLock(clients[0], KEY, "dead", ttl_seconds=1)
    assert await dead.acquire()  # and never renews it: the process died
    heir = LeaderElection(LeaderLock(clients[1], KEY, "heir", ttl_seconds=1), retry_seconds=0.1)
    recorder = Recorder()
    task = asyncio.create_task(heir.run(recorder.on_gain, recorder.on_loss))
    await asyncio.wait_for(recorder.gained.wait(), DEADLINE)
    assert heir.is_leader
    assert await clients[0].get(KEY) == b"heir"
    await finish(heir, task)


async def test_a_cancelled_leader_that_cannot_release_is_replaced_after_its_ttl(
    clients: tuple[Redis, Redis], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = LeaderElection(LeaderLock(clients[0], KEY, "first", ttl_seconds=1))
    first_recorder = Recorder()
    first_task = asyncio.create_task(first.run(first_recorder.on_gain, first_recorder.on_loss))
    await asyncio.wait_for(first_recorder.gained.wait(), DEADLINE)

    second = LeaderElection(LeaderLock(clients[1], KEY, "second", ttl_seconds=1), retry_seconds=0.1)
    second_recorder = Recorder()
    second_task = asyncio.create_task(second.run(second_recorder.on_gain, second_recorder.on_loss))

    async def vanish() -> bool:  # the process is gone: nothing reaches Redis any more
        return False

    monkeypatch.setattr(first.lock, "release", vanish)
    first_task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first_task
    assert await clients[1].get(KEY) == b"first"  # still there until it expires
    await asyncio.wait_for(second_recorder.gained.wait(), DEADLINE)
    assert await clients[1].get(KEY) == b"second"
    await finish(second, second_task)


async def test_on_loss_runs_when_the_lock_is_stolen_or_deleted(
    clients: tuple[Redis, Redis],
) -> None:
    election = LeaderElection(
        LeaderLock(clients[0], KEY, "first", ttl_seconds=1), retry_seconds=0.1
    )
    recorder = Recorder()
    task = asyncio.create_task(election.run(recorder.on_gain, recorder.on_loss))
    await asyncio.wait_for(recorder.gained.wait(), DEADLINE)

    await clients[1].set(KEY, "thief", px=60_000)
    await asyncio.wait_for(recorder.lost.wait(), DEADLINE)
    assert not election.is_leader
    assert recorder.events == ["gain", "loss"]

    recorder.gained.clear()
    recorder.lost.clear()
    await clients[1].delete(KEY)  # the thief is gone: the lock is free again
    await asyncio.wait_for(recorder.gained.wait(), DEADLINE)
    await clients[1].delete(KEY)  # deleted under the leader
    await asyncio.wait_for(recorder.lost.wait(), DEADLINE)
    assert recorder.events[:4] == ["gain", "loss", "gain", "loss"]
    await finish(election, task)


class UnreachableLock:
    """A lock taken once, whose Redis then stops answering."""

    def __init__(self) -> None:
        self.key = KEY
        self.owner = "first"
        self.ttl_seconds = 0.6
        self.renewals = 0
        self.taken = False

    async def acquire(self) -> bool:
        if self.taken:
            raise RedisConnectionError("Connection refused")
        self.taken = True
        return True

    async def renew(self) -> bool:
        self.renewals += 1
        raise RedisConnectionError("Connection refused")

    async def release(self) -> bool:
        raise RedisConnectionError("Connection refused")


async def test_a_leader_that_cannot_reach_redis_stops_before_its_lock_expires() -> None:
    lock = UnreachableLock()
    election = LeaderElection(lock, renew_seconds=0.1, retry_seconds=10)  # type: ignore[arg-type]
    recorder = Recorder()
    task = asyncio.create_task(election.run(recorder.on_gain, recorder.on_loss))
    await asyncio.wait_for(recorder.lost.wait(), DEADLINE)
    assert recorder.events == ["gain", "loss"]
    assert lock.renewals >= 1
    await finish(election, task)  # releasing fails quietly


async def test_an_election_without_redis_keeps_trying() -> None:
    async with redis_client("redis://127.0.0.1:1/0") as nowhere:
        election = LeaderElection(LeaderLock(nowhere, KEY, "first", ttl_seconds=1))
        election.retry_seconds = 0.05
        recorder = Recorder()
        task = asyncio.create_task(election.run(recorder.on_gain, recorder.on_loss))
        await asyncio.sleep(0.3)
        assert not task.done()
        assert recorder.events == []
        await finish(election, task)


async def test_always_leader_gains_at_once_and_loses_on_stop() -> None:
    election = AlwaysLeader()
    recorder = Recorder()
    task = asyncio.create_task(election.run(recorder.on_gain, recorder.on_loss))
    await asyncio.wait_for(recorder.gained.wait(), DEADLINE)
    assert election.is_leader
    await finish(election, task)
    assert recorder.events == ["gain", "loss"]
    assert not election.is_leader


CHILD = """
import asyncio, sys
from redis.asyncio import Redis
from bot.delivery.leader import LeaderElection, LeaderLock

async def main() -> None:
    client = Redis.from_url(sys.argv[1])
    election = LeaderElection(LeaderLock(client, sys.argv[2], "child", ttl_seconds=1))

    async def gained() -> None:
        print("gained", flush=True)

    async def lost() -> None:
        print("lost", flush=True)

    await election.run(gained, lost)

asyncio.run(main())
"""


async def test_a_killed_leader_process_is_replaced(
    redis_url: str, clients: tuple[Redis, Redis]
) -> None:
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, redis_url, KEY,
        cwd=ROOT, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), DEADLINE)
        assert line == b"gained\n"
        assert not await LeaderLock(clients[0], KEY, "parent").acquire()
    finally:
        child.send_signal(signal.SIGKILL)  # no release, no on_loss: the process is gone
        await child.communicate()
    heir = LeaderElection(LeaderLock(clients[1], KEY, "parent", ttl_seconds=1), retry_seconds=0.1)
    recorder = Recorder()
    task = asyncio.create_task(heir.run(recorder.on_gain, recorder.on_loss))
    await asyncio.wait_for(recorder.gained.wait(), DEADLINE)
    assert await clients[0].get(KEY) == b"parent"
    await finish(heir, task)


# --- what /healthz makes of it ----------------------------------------------------------------


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def health_with(db: Database, election: LeaderElection) -> tuple[bool, dict[str, object]]:
    parts = Parts(
        meta=MetaRepository(db),
        metrics=Metrics(),
        clock=Clock(ZoneInfo("Asia/Krasnoyarsk")),
        scheduler_running=lambda: None,  # a standby worker: another process should lead
        sender_running=lambda: None,
        election=election,
    )
    return await health(parts)


async def test_health_fails_while_redis_is_unreachable(db: Database) -> None:
    async with redis_client("redis://127.0.0.1:1/0") as nowhere:
        election = LeaderElection(LeaderLock(nowhere, KEY, "standby", ttl_seconds=15))
        ok, report = await health_with(db, election)
    assert not ok
    assert report["redis"] is False and report["scheduler"] == "standby"
    assert report["problems"] == ["redis unreachable"]


async def test_health_fails_when_no_process_has_led_for_longer_than_the_ttl(
    db: Database, clients: tuple[Redis, Redis]
) -> None:
    ticks = Ticks()
    election = LeaderElection(
        LeaderLock(clients[0], KEY, "standby", ttl_seconds=15), monotonic=ticks
    )
    ok, report = await health_with(db, election)
    assert ok and report["redis"] is True  # just started: the others get one ttl to lead
    ticks.now += 16
    ok, report = await health_with(db, election)
    assert not ok and report["problems"] == ["no process has led for 16 s"]
    assert report["leaderless_seconds"] == 16
    assert await LeaderLock(clients[1], KEY, "another").acquire()
    ok, report = await health_with(db, election)
    assert ok and report["leaderless_seconds"] == 0  # another process leads: a healthy standby
    ticks.now += 60
    ok, report = await health_with(db, election)
    assert ok, report
