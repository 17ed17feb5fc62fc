"""actionboard's four demo actions, as the ringkit board provides them to python actions, so
actionboard's example actions_config.yaml (module visual_control_board.actions.built_in_actions)
runs unchanged. Written for ringkit from the behaviour actionboard documents: same parameters,
same returned dicts."""
import asyncio
import datetime
import logging

logger = logging.getLogger(__name__)


def greet_user_action(name="User"):
    logger.info("Executing greet_user_action for '%s'", name)
    return {"status": "success", "message": f"Hello, {name}! This greeting action was successfully triggered."}


def log_current_time_action():
    now = datetime.datetime.now().isoformat()
    logger.info("Executing log_current_time_action. Time: %s", now)
    return {"status": "success", "timestamp": now, "message": f"Current server time: {now}"}


async def example_async_action(duration=1):
    logger.info("Starting async action (simulated duration: %ss)...", duration)
    await asyncio.sleep(duration)
    return {"status": "success", "message": f"Async action completed after {duration}s.", "duration": duration}


def another_action():
    logger.info("Executing another_action")
    return {"status": "success", "message": "The 'another_action' was performed successfully!"}
