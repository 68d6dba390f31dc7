//! The memory budget: what a loaded model costs, how much the loaded models may use
//! together, and which idle models make room for a new one, least recently used first.
//!
//! The decision is a pure function of the loaded models' costs, states and last use, so
//! every case (a model answering, one still loading, a model bigger than the budget) is
//! tested without loading anything.

use std::collections::HashMap;
use std::time::Instant;

use serde::Serialize;

/// What a loaded model holds: bytes of the computer's memory, and of one GPU's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MemoryCost {
    pub ram: u64,
    pub vram: u64,
    /// The GPU holding `vram` bytes, by its description; `None` when all is in RAM.
    pub device: Option<String>,
}

impl MemoryCost {
    pub fn is_zero(&self) -> bool {
        self.ram == 0 && self.vram == 0
    }
}

/// How much the loaded models may hold together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Budget {
    pub ram: u64,
    /// Per GPU, by description; a GPU not listed is not limited.
    pub vram: HashMap<String, u64>,
}

/// A model already loaded or loading, as the decision sees it.
#[derive(Debug, Clone)]
pub struct Resident<K> {
    pub key: K,
    pub cost: MemoryCost,
    /// Answering, held by a caller, or still loading: never evicted.
    pub busy: bool,
    pub last_used: Instant,
}

/// What to do about a model that needs loading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan<K> {
    /// Load it after unloading these (possibly none), least recently used first.
    Load { evict: Vec<K> },
    /// It fits only once models now answering (or loading) are done: wait for them.
    /// `evict` are the idle models that would go too, for a caller that cannot wait.
    Wait { busy: Vec<K>, evict: Vec<K> },
}

/// Decides how to make room for `needed` within `budget` among `residents`.
///
/// Idle models go least recently used first, and only as many as needed; while models
/// that are busy hold what the new one needs, it waits. A model that
/// needs nothing (a remote one) never evicts. A model bigger than the whole budget is
/// still loaded once nothing else is left, as it would be with no other model loaded:
/// the memory verdict warned about it before, and refusing would leave the user with a
/// model they chose and cannot run.
pub fn plan<K: Clone>(residents: &[Resident<K>], needed: &MemoryCost, budget: &Budget) -> Plan<K> {
    if needed.is_zero() {
        return Plan::Load { evict: Vec::new() };
    }
    let mut kept: Vec<&Resident<K>> = residents.iter().collect();
    let mut evict = Vec::new();
    loop {
        let short = Shortfall::of(&kept, needed, budget);
        if !short.any() {
            return Plan::Load { evict };
        }
        // The least recently used idle model whose unloading helps with what is short:
        // unloading a model from another GPU would free nothing the new one needs.
        let oldest = kept
            .iter()
            .filter(|r| !r.busy && short.eased_by(&r.cost, needed))
            .min_by_key(|r| r.last_used)
            .copied();
        match oldest {
            Some(oldest) => {
                kept.retain(|r| !std::ptr::eq(*r, oldest));
                evict.push(oldest.key.clone());
            }
            None if kept.iter().all(|r| !r.busy) => return Plan::Load { evict },
            None => {
                return Plan::Wait {
                    busy: kept
                        .iter()
                        .filter(|r| r.busy)
                        .map(|r| r.key.clone())
                        .collect(),
                    evict,
                }
            }
        }
    }
}

/// Which of the budget's limits the kept models and the new one would pass.
struct Shortfall {
    ram: bool,
    vram: bool,
}

impl Shortfall {
    fn of<K>(kept: &[&Resident<K>], needed: &MemoryCost, budget: &Budget) -> Self {
        let ram: u64 = kept.iter().map(|r| r.cost.ram).sum();
        let vram = needed.device.as_ref().is_some_and(|device| {
            budget.vram.get(device).is_some_and(|limit| {
                let used: u64 = kept
                    .iter()
                    .filter(|r| r.cost.device.as_ref() == Some(device))
                    .map(|r| r.cost.vram)
                    .sum();
                used.saturating_add(needed.vram) > *limit
            })
        });
        Self {
            ram: ram.saturating_add(needed.ram) > budget.ram,
            vram,
        }
    }

    fn any(&self) -> bool {
        self.ram || self.vram
    }

    /// Whether unloading a model costing `cost` frees some of what is short.
    fn eased_by(&self, cost: &MemoryCost, needed: &MemoryCost) -> bool {
        (self.ram && cost.ram > 0)
            || (self.vram && cost.vram > 0 && cost.device.is_some() && cost.device == needed.device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn ram(bytes: u64) -> MemoryCost {
        MemoryCost {
            ram: bytes,
            ..MemoryCost::default()
        }
    }

    fn resident(
        key: &'static str,
        cost: MemoryCost,
        busy: bool,
        age_s: u64,
    ) -> Resident<&'static str> {
        Resident {
            key,
            cost,
            busy,
            last_used: Instant::now() - Duration::from_secs(age_s),
        }
    }

    fn budget(ram: u64) -> Budget {
        Budget {
            ram,
            vram: HashMap::new(),
        }
    }

    #[test]
    fn a_model_that_fits_evicts_nothing() {
        let residents = [resident("a", ram(40), false, 10)];
        assert_eq!(
            plan(&residents, &ram(50), &budget(100)),
            Plan::Load { evict: vec![] }
        );
    }

    #[test]
    fn the_least_recently_used_idle_model_goes_first_and_only_as_many_as_needed() {
        let residents = [
            resident("newer", ram(40), false, 5),
            resident("oldest", ram(40), false, 50),
            resident("older", ram(10), false, 20),
        ];
        // 90 used, 30 needed, 100 allowed: the oldest alone makes room.
        assert_eq!(
            plan(&residents, &ram(30), &budget(100)),
            Plan::Load {
                evict: vec!["oldest"]
            }
        );
        // 60 needed: the oldest, then the next oldest, and the newest stays (40 + 60).
        assert_eq!(
            plan(&residents, &ram(60), &budget(100)),
            Plan::Load {
                evict: vec!["oldest", "older"]
            }
        );
        // 70 needed: all three, oldest first.
        assert_eq!(
            plan(&residents, &ram(70), &budget(100)),
            Plan::Load {
                evict: vec!["oldest", "older", "newer"]
            }
        );
    }

    #[test]
    fn a_model_answering_is_never_evicted_even_when_least_recently_used() {
        let residents = [
            resident("answering", ram(50), true, 100),
            resident("idle", ram(40), false, 1),
        ];
        assert_eq!(
            plan(&residents, &ram(50), &budget(100)),
            Plan::Load {
                evict: vec!["idle"]
            }
        );
        // Not even the idle one is enough: wait for the answer to end.
        assert_eq!(
            plan(&residents, &ram(60), &budget(100)),
            Plan::Wait {
                busy: vec!["answering"],
                evict: vec!["idle"]
            }
        );
    }

    #[test]
    fn a_model_bigger_than_the_budget_loads_alone() {
        let residents = [resident("small", ram(10), false, 1)];
        assert_eq!(
            plan(&residents, &ram(500), &budget(100)),
            Plan::Load {
                evict: vec!["small"]
            }
        );
        assert_eq!(
            plan::<&str>(&[], &ram(500), &budget(100)),
            Plan::Load { evict: vec![] }
        );
    }

    #[test]
    fn a_remote_model_needs_no_room_even_over_budget() {
        let residents = [resident("huge", ram(500), false, 100)];
        assert_eq!(
            plan(&residents, &MemoryCost::default(), &budget(100)),
            Plan::Load { evict: vec![] }
        );
    }

    #[test]
    fn gpu_memory_is_counted_per_device() {
        let on = |device: &str, vram: u64| MemoryCost {
            ram: 1,
            vram,
            device: Some(device.into()),
        };
        let residents = [
            resident("gpu0-old", on("GPU0", 6), false, 50),
            resident("gpu1", on("GPU1", 7), false, 100),
            resident("gpu0-new", on("GPU0", 3), false, 5),
        ];
        let budget = Budget {
            ram: 1000,
            vram: HashMap::from([("GPU0".into(), 10), ("GPU1".into(), 10)]),
        };
        // GPU0 holds 9 of 10: making room for 4 unloads GPU0's oldest model, not GPU1's
        // older one, which would free nothing the new model needs.
        assert_eq!(
            plan(&residents, &on("GPU0", 4), &budget),
            Plan::Load {
                evict: vec!["gpu0-old"]
            }
        );
    }
}
