// thread_pool: a fixed set of worker threads and parallel_for, shared safely by many sessions at once.
#pragma once

#include <gearc/detail/abi_macros.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

GEARC_BEGIN_NAMESPACE

/// Worker threads that run the chunks of parallel_for(). The calling thread works too, so a pool of
/// n threads starts n - 1 workers; a pool of 1 runs everything on the caller. Several threads may call
/// parallel_for() at once (several sessions on one pool): each waits only for its own chunks.
class thread_pool {
public:
    /// `threads` = 0: all hardware threads.
    explicit thread_pool(std::size_t threads = 0) {
        if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
        threads_ = threads;
        for (std::size_t i = 1; i < threads; ++i) workers_.emplace_back([this] { work(); });
    }
    thread_pool(const thread_pool&) = delete;
    thread_pool& operator=(const thread_pool&) = delete;
    ~thread_pool() {
        {
            std::lock_guard lock(mu_);
            stop_ = true;
        }
        cv_.notify_all();
        for (auto& w : workers_) w.join();
    }

    /// Threads that run work, the caller included.
    [[nodiscard]] std::size_t size() const noexcept { return threads_; }

    /// Calls f(begin, end) on disjoint chunks covering [0, n), each at least `grain` long (except the
    /// last), in parallel; returns when all are done. The first exception a chunk throws is rethrown.
    template <class F>
    void parallel_for(std::int64_t n, std::int64_t grain, F&& f) {
        if (n <= 0) return;
        grain = std::max<std::int64_t>(1, grain);
        const std::int64_t max_chunks = static_cast<std::int64_t>(threads_) * 4;
        const std::int64_t chunks = std::clamp<std::int64_t>(n / grain, 1, max_chunks);
        if (chunks == 1 || threads_ == 1) {
            f(std::int64_t{0}, n);
            return;
        }
        // the job lives on the heap: a helper task may start after the caller returned (all chunks taken by
        // then, so it touches neither f nor anything else of the caller's) and must still find it
        struct job {
            std::atomic<std::int64_t> next{0}, done{0};
            std::int64_t chunks = 0, n = 0;
            std::mutex mu;
            std::condition_variable cv;
            std::exception_ptr error;
            std::function<void(std::int64_t, std::int64_t)> body;
        };
        auto j = std::make_shared<job>();
        j->chunks = chunks;
        j->n = n;
        j->body = [&f](std::int64_t b, std::int64_t e) { f(b, e); };
        auto run_chunks = [](const std::shared_ptr<job>& jp) {
            job& jb = *jp;
            for (;;) {
                const std::int64_t c = jb.next.fetch_add(1);
                if (c >= jb.chunks) return;
                const std::int64_t b = jb.n * c / jb.chunks, e = jb.n * (c + 1) / jb.chunks;
                try {
                    jb.body(b, e);
                } catch (...) {
                    std::lock_guard lock(jb.mu);
                    if (!jb.error) jb.error = std::current_exception();
                }
                if (jb.done.fetch_add(1) + 1 == jb.chunks) {
                    std::lock_guard lock(jb.mu);
                    jb.cv.notify_all();
                }
            }
        };
        const std::size_t helpers = std::min<std::size_t>(workers_.size(), static_cast<std::size_t>(chunks - 1));
        {
            std::lock_guard lock(mu_);
            for (std::size_t i = 0; i < helpers; ++i) tasks_.emplace_back([j, run_chunks] { run_chunks(j); });
        }
        if (helpers == 1)
            cv_.notify_one();
        else
            cv_.notify_all();
        run_chunks(j);
        std::unique_lock lock(j->mu);
        j->cv.wait(lock, [&] { return j->done.load() == j->chunks; });
        if (j->error) std::rethrow_exception(j->error);
    }

private:
    void work() {
        for (;;) {
            std::function<void()> t;
            {
                std::unique_lock lock(mu_);
                cv_.wait(lock, [&] { return stop_ || !tasks_.empty(); });
                if (stop_ && tasks_.empty()) return;
                t = std::move(tasks_.front());
                tasks_.pop_front();
            }
            t();
        }
    }

    std::size_t threads_ = 1;
    std::vector<std::thread> workers_;
    std::deque<std::function<void()>> tasks_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
};

GEARC_END_NAMESPACE
