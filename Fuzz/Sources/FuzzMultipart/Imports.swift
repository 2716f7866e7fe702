// The parser file relies on Foundation being imported elsewhere in its module (ServiceSupport).
@_exported import Foundation
