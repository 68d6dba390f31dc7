//! The one way the server runs blocking work (store, engines, documents) off its async
//! workers. Tokio's blocking pool hands one thread many unrelated requests, so each
//! piece of work first tells the engines it is new: a lease an earlier request took on
//! this thread and handed on (an answer still streaming) is not this request's, and a
//! load here waits for it within the memory budget rather than going over it.

use tokio::task::JoinHandle;

pub(crate) fn spawn_blocking<T, F>(work: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(move || {
        hearth_core::engines::begin_work_on_this_thread();
        work()
    })
}
