#include "gateway/sources/source_factory.h"

#include "gateway/sources/camera/camera_uri.h"
#include "gateway/sources/listeners/http_push_listener.h"
#include "gateway/sources/listeners/tcp_listener.h"
#include "gateway/sources/listeners/udp_listener.h"
#include "gateway/sources/sensor/file_replay_source.h"

namespace gw::sources {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
// g++ deduces this by itself (C++20); clang 14, which clang-tidy runs, needs it spelled out.
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace

const std::string& sourceId(const SourceSettings& settings) {
  return std::visit(
      Overloaded{[](const ReplaySettings& s) -> const std::string& { return s.spec.id(); },
                 [](const ListenerSettings& s) -> const std::string& { return s.config.source_id; },
                 [](const MqttSourceConfig& s) -> const std::string& { return s.source_id; },
                 [](const CameraConfig& s) -> const std::string& { return s.camera_id; }},
      settings);
}

bool prepareForReplay(SourceSettings* settings, double speed) {
  if (auto* replay = std::get_if<ReplaySettings>(settings)) {
    auto* file = replay->spec.mutable_sensor()->mutable_replay();
    if (speed >= 0) {
      file->set_speed(speed);
      file->set_loop(false);
    }
    return true;
  }
  if (auto* camera = std::get_if<CameraConfig>(settings)) {
    if (isLiveCameraUri(camera->uri)) return false;
    // A video plays once; paced at its own frame rate only when a speed above 0 asks for it.
    camera->realtime = speed > 0;
    camera->loop = false;
    return true;
  }
  return false;  // sockets and subscriptions are live by nature
}

Result<pipeline::SourcePtr> createSource(const SourceSettings& settings, SourceContext& ctx) {
  return std::visit(
      Overloaded{
          [&](const ReplaySettings& s) -> Result<pipeline::SourcePtr> {
            return pipeline::SourcePtr(std::make_unique<FileReplaySource>(
                s.spec, ctx.executor, ctx.sink, ctx.counters, s.start_unix_ms));
          },
          [&](const ListenerSettings& s) -> Result<pipeline::SourcePtr> {
            switch (s.transport) {
              case ListenerTransport::kUdp:
                return pipeline::SourcePtr(
                    std::make_unique<UdpListener>(s.config, ctx.executor, ctx.sink, ctx.counters));
              case ListenerTransport::kTcp:
                return pipeline::SourcePtr(
                    std::make_unique<TcpListener>(s.config, ctx.executor, ctx.sink, ctx.counters));
              case ListenerTransport::kHttp:
                return pipeline::SourcePtr(std::make_unique<HttpPushListener>(
                    s.config, ctx.executor, ctx.sink, ctx.counters));
            }
            return invalidArgument("source '" + s.config.source_id + "' has no transport");
          },
          [&](const MqttSourceConfig& s) -> Result<pipeline::SourcePtr> {
            return pipeline::SourcePtr(
                std::make_unique<MqttSubscriptionSource>(s, ctx.executor, ctx.sink, ctx.counters));
          },
          [&](const CameraConfig& s) -> Result<pipeline::SourcePtr> {
            return pipeline::SourcePtr(std::make_unique<CameraSource>(s, ctx.counters, ctx.health));
          }},
      settings);
}

}  // namespace gw::sources
