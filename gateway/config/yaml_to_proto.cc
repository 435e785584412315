#include "gateway/config/yaml_to_proto.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <set>

namespace gw::config {
namespace {

namespace pb = google::protobuf;

void addError(const YamlMapContext& ctx, const YAML::Node& node, const std::string& key_path,
              std::string message) {
  const YAML::Mark mark = node.Mark();
  ctx.errors->push_back(ConfigError{ctx.file, mark.is_null() ? 0 : mark.line + 1,
                                    mark.is_null() ? 0 : mark.column + 1, key_path,
                                    std::move(message)});
}

void recordPosition(const YamlMapContext& ctx, const YAML::Node& node, const std::string& path) {
  const YAML::Mark mark = node.Mark();
  if (!mark.is_null())
    (*ctx.positions)[path] = SourcePosition{ctx.file, mark.line + 1, mark.column + 1};
}

const char* nodeKind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Null:
      return "nothing";
    default:
      return "an undefined node";
  }
}

// Replaces ${VAR} and ${VAR:-default}. Returns false (and says why) on an unset variable.
bool expandEnvironment(const std::string& in, std::string* out, std::string* why) {
  out->clear();
  size_t i = 0;
  while (i < in.size()) {
    if (in.compare(i, 2, "${") != 0) {
      out->push_back(in[i++]);
      continue;
    }
    size_t end = in.find('}', i + 2);
    if (end == std::string::npos) {
      *why = "unterminated '${' in '" + in + "'";
      return false;
    }
    std::string inner = in.substr(i + 2, end - i - 2);
    std::string fallback;
    bool has_fallback = false;
    if (size_t sep = inner.find(":-"); sep != std::string::npos) {
      fallback = inner.substr(sep + 2);
      inner = inner.substr(0, sep);
      has_fallback = true;
    }
    const char* value = std::getenv(inner.c_str());
    if (value != nullptr && *value != '\0') {
      out->append(value);
    } else if (has_fallback) {
      out->append(fallback);
    } else {
      *why = "environment variable '" + inner + "' is not set";
      return false;
    }
    i = end + 1;
  }
  return true;
}

std::string upperSnake(const std::string& s) {
  std::string out;
  for (char c : s)
    out.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return out;
}

// SensorFormat -> SENSOR_FORMAT_
std::string enumPrefix(const pb::EnumDescriptor* type) {
  std::string out;
  const std::string& name = type->name();
  for (size_t i = 0; i < name.size(); ++i) {
    if (i > 0 && std::isupper(static_cast<unsigned char>(name[i]))) out.push_back('_');
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(name[i]))));
  }
  return out + "_";
}

const pb::EnumValueDescriptor* findEnumValue(const pb::EnumDescriptor* type,
                                             const std::string& text) {
  if (const auto* v = type->FindValueByName(text)) return v;
  if (const auto* v = type->FindValueByName(enumPrefix(type) + upperSnake(text))) return v;
  return nullptr;
}

std::string enumChoices(const pb::EnumDescriptor* type) {
  std::string prefix = enumPrefix(type);
  std::string out;
  for (int i = 0; i < type->value_count(); ++i) {
    std::string name = type->value(i)->name();
    if (name.ends_with("_UNSPECIFIED")) continue;
    if (name.starts_with(prefix)) name = name.substr(prefix.size());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

std::string fieldChoices(const pb::Descriptor* type) {
  std::string out;
  for (int i = 0; i < type->field_count(); ++i) {
    if (!out.empty()) out += ", ";
    out += type->field(i)->name();
  }
  return out;
}

const char* expectedFor(const pb::FieldDescriptor* field) {
  switch (field->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      return "true or false";
    case pb::FieldDescriptor::CPPTYPE_INT32:
    case pb::FieldDescriptor::CPPTYPE_INT64:
      return "an integer";
    case pb::FieldDescriptor::CPPTYPE_UINT32:
    case pb::FieldDescriptor::CPPTYPE_UINT64:
      return "a non-negative integer";
    case pb::FieldDescriptor::CPPTYPE_FLOAT:
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
      return "a number";
    case pb::FieldDescriptor::CPPTYPE_STRING:
      return "a string";
    case pb::FieldDescriptor::CPPTYPE_ENUM:
      return "one of the listed values";
    case pb::FieldDescriptor::CPPTYPE_MESSAGE:
      return "a mapping";
  }
  return "a value";
}

template <typename T>
bool parseNumber(const std::string& text, T* out) {
  try {
    size_t used = 0;
    if constexpr (std::is_same_v<T, double>) {
      *out = std::stod(text, &used);
      if (!std::isfinite(*out)) return false;
    } else if constexpr (std::is_signed_v<T>) {
      long long v = std::stoll(text, &used, 10);
      if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) return false;
      *out = static_cast<T>(v);
    } else {
      if (!text.empty() && text[0] == '-') return false;
      unsigned long long v = std::stoull(text, &used, 10);
      if (v > std::numeric_limits<T>::max()) return false;
      *out = static_cast<T>(v);
    }
    return used == text.size();
  } catch (const std::exception&) {
    return false;
  }
}

// Sets one scalar value (for a singular field, or appended to a repeated one).
void mapScalar(const YAML::Node& node, pb::Message* message, const pb::FieldDescriptor* field,
               const std::string& path, const YamlMapContext& ctx) {
  if (!node.IsScalar()) {
    addError(ctx, node, path,
             std::string("expected ") + expectedFor(field) + ", found " + nodeKind(node));
    return;
  }
  const pb::Reflection* r = message->GetReflection();
  const bool rep = field->is_repeated();
  const std::string& text = node.Scalar();
  auto bad = [&] {
    addError(ctx, node, path,
             std::string("expected ") + expectedFor(field) + ", found '" + text + "'");
  };
  switch (field->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_STRING: {
      std::string expanded, why;
      if (!expandEnvironment(text, &expanded, &why)) {
        addError(ctx, node, path, why);
        return;
      }
      rep ? r->AddString(message, field, expanded) : r->SetString(message, field, expanded);
      return;
    }
    case pb::FieldDescriptor::CPPTYPE_BOOL: {
      bool v = false;
      if (text == "true" || text == "yes" || text == "on")
        v = true;
      else if (text == "false" || text == "no" || text == "off")
        v = false;
      else
        return bad();
      rep ? r->AddBool(message, field, v) : r->SetBool(message, field, v);
      return;
    }
    case pb::FieldDescriptor::CPPTYPE_INT32: {
      int32_t v;
      if (!parseNumber(text, &v)) return bad();
      rep ? r->AddInt32(message, field, v) : r->SetInt32(message, field, v);
      return;
    }
    case pb::FieldDescriptor::CPPTYPE_INT64: {
      int64_t v;
      if (!parseNumber(text, &v)) return bad();
      rep ? r->AddInt64(message, field, v) : r->SetInt64(message, field, v);
      return;
    }
    case pb::FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t v;
      if (!parseNumber(text, &v)) return bad();
      rep ? r->AddUInt32(message, field, v) : r->SetUInt32(message, field, v);
      return;
    }
    case pb::FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t v;
      if (!parseNumber(text, &v)) return bad();
      rep ? r->AddUInt64(message, field, v) : r->SetUInt64(message, field, v);
      return;
    }
    case pb::FieldDescriptor::CPPTYPE_FLOAT:
    case pb::FieldDescriptor::CPPTYPE_DOUBLE: {
      double v;
      if (!parseNumber(text, &v)) return bad();
      if (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_FLOAT) {
        rep ? r->AddFloat(message, field, static_cast<float>(v))
            : r->SetFloat(message, field, static_cast<float>(v));
      } else {
        rep ? r->AddDouble(message, field, v) : r->SetDouble(message, field, v);
      }
      return;
    }
    case pb::FieldDescriptor::CPPTYPE_ENUM: {
      const auto* v = findEnumValue(field->enum_type(), text);
      if (v == nullptr) {
        addError(ctx, node, path,
                 "unknown value '" + text +
                     "' (expected one of: " + enumChoices(field->enum_type()) + ")");
        return;
      }
      rep ? r->AddEnum(message, field, v) : r->SetEnum(message, field, v);
      return;
    }
    case pb::FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  bad();
}

void mapValue(const YAML::Node& node, pb::Message* message, const pb::FieldDescriptor* field,
              const std::string& path, const YamlMapContext& ctx) {
  recordPosition(ctx, node, path);
  if (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
    pb::Message* child = field->is_repeated()
                             ? message->GetReflection()->AddMessage(message, field)
                             : message->GetReflection()->MutableMessage(message, field);
    mapYamlToProto(node, child, path, ctx);
  } else {
    mapScalar(node, message, field, path, ctx);
  }
}

// A repeated message of exactly `key` and `value` (or a protobuf map, which has the same shape).
// Mapped without the map reflection API, whose lazy map/list synchronisation we avoid.
bool isKeyValueList(const pb::FieldDescriptor* field) {
  if (!field->is_repeated() || field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE)
    return false;
  const pb::Descriptor* entry = field->message_type();
  return entry->field_count() == 2 && entry->FindFieldByName("key") != nullptr &&
         entry->FindFieldByName("value") != nullptr;
}

}  // namespace

void mapYamlToProto(const YAML::Node& node, pb::Message* message, const std::string& key_path,
                    const YamlMapContext& ctx) {
  const pb::Descriptor* type = message->GetDescriptor();
  recordPosition(ctx, node, key_path);
  if (!node.IsMap()) {
    addError(ctx, node, key_path,
             std::string("expected a mapping with keys (") + fieldChoices(type) + "), found " +
                 nodeKind(node));
    return;
  }
  std::set<std::string> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;  // copies: the iterator yields a temporary pair
    const YAML::Node value = it->second;
    const std::string name = key.IsScalar() ? key.Scalar() : std::string("?");
    const std::string path = key_path.empty() ? name : key_path + "." + name;
    if (!seen.insert(name).second) {
      addError(ctx, key, path, "duplicate key '" + name + "'");
      continue;
    }
    const pb::FieldDescriptor* field = type->FindFieldByName(name);
    if (field == nullptr) {
      addError(ctx, key, path,
               "unknown key '" + name + "' (expected one of: " + fieldChoices(type) + ")");
      continue;
    }
    if (value.IsNull()) {
      addError(ctx, key, path, std::string("has no value (expected ") + expectedFor(field) + ")");
      continue;
    }
    if (const pb::OneofDescriptor* oneof = field->containing_oneof()) {
      if (const auto* set = message->GetReflection()->GetOneofFieldDescriptor(*message, oneof)) {
        addError(ctx, key, path,
                 "'" + name + "' and '" + set->name() + "' exclude each other (choose one)");
        continue;
      }
    }
    if (isKeyValueList(field)) {
      // A list of {key, value} entries (plugin params) is written as a YAML mapping of scalars.
      if (!value.IsMap()) {
        addError(ctx, value, path, std::string("expected a mapping, found ") + nodeKind(value));
        continue;
      }
      recordPosition(ctx, value, path);
      for (auto entry = value.begin(); entry != value.end(); ++entry) {
        const YAML::Node entry_key = entry->first;
        const YAML::Node entry_value = entry->second;
        const std::string entry_path =
            path + "." + (entry_key.IsScalar() ? entry_key.Scalar() : "?");
        pb::Message* item = message->GetReflection()->AddMessage(message, field);
        mapScalar(entry_key, item, item->GetDescriptor()->FindFieldByName("key"), entry_path, ctx);
        mapScalar(entry_value, item, item->GetDescriptor()->FindFieldByName("value"), entry_path,
                  ctx);
      }
      continue;
    }
    if (field->is_repeated()) {
      if (!value.IsSequence()) {
        addError(ctx, value, path, std::string("expected a list, found ") + nodeKind(value));
        continue;
      }
      recordPosition(ctx, value, path);
      for (size_t i = 0; i < value.size(); ++i) {
        mapValue(value[i], message, field, path + "[" + std::to_string(i) + "]", ctx);
      }
    } else {
      mapValue(value, message, field, path, ctx);
    }
  }
}

}  // namespace gw::config
