"""The five findings that justify a reminder, as the seed form names them."""

from __future__ import annotations

from typing import Literal

Finding = Literal["工作未落实", "落实不彻底", "落实进展缓慢", "没有完成阶段性目标", "可能完不成任务"]
