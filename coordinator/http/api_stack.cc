#include "coordinator/http/api_stack.h"
#include "coordinator/store/memory_store.h"

#include <future>
#include <utility>
#include <variant>

namespace hpsweep::coordinator {

namespace net = boost::asio;

ApiStack::ApiStack(ApiOptions options, size_t checkpoint_chunk_bytes,
                   std::function<void(const Status&)> on_commit_failure)
    : store_(NewMemoryStore(checkpoint_chunk_bytes)),
      service_(&clock_, SweepServiceOptions()),
      strand_(net::make_strand(ioc_)),
      work_(net::make_work_guard(ioc_)),
      committer_(store_.get(), &clock_, std::move(on_commit_failure)),
      blocking_(2),
      api_(std::move(options), &service_, strand_, &committer_, store_.get(), &blocking_, &metrics_,
           &clock_) {}

Status ApiStack::Start() {
  HPS_RETURN_IF_ERROR(service_.Recover(*store_));
  io_thread_ = std::thread([this] { ioc_.run(); });
  return Status::Ok();
}

ApiStack::~ApiStack() {
  committer_.Flush();
  blocking_.join();
  work_.reset();
  ioc_.stop();
  if (io_thread_.joinable()) io_thread_.join();
}

HttpResponse ApiStack::Send(const std::string& method, const std::string& target,
                           const std::string& body, const std::string& token) {
  HttpRequest request;
  request.method = method;
  request.target = target;
  if (!token.empty()) request.authorization = "Bearer " + token;
  return Send(std::move(request), body);
}

HttpResponse ApiStack::Send(HttpRequest request, const std::string& body) {
  Status decoded = ParseTarget(request.target, &request);
  if (!decoded.ok()) return api_.ErrorResponse(decoded);  // what the transport answers
  auto promise = std::make_shared<std::promise<HttpResponse>>();
  std::future<HttpResponse> reply = promise->get_future();
  ReplyCallback done = [promise](HttpResponse r) { promise->set_value(std::move(r)); };
  HttpHandler::HeadResult head = api_.OnHeaders(request);
  if (auto* response = std::get_if<HttpResponse>(&head)) return *response;
  if (auto* sink = std::get_if<std::shared_ptr<BodySink>>(&head)) {
    std::promise<Status> wrote;
    (*sink)->Write(body, [&wrote](Status s) { wrote.set_value(s); });
    Status written = wrote.get_future().get();
    if (!written.ok()) {
      (*sink)->Abort();
      return api_.ErrorResponse(written);
    }
    (*sink)->Finish(done);
    return reply.get();
  }
  request.body = body;
  api_.Handle(std::move(request), done);
  return reply.get();
}

}  // namespace hpsweep::coordinator
