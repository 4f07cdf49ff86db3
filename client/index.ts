// @steveslist/client: a typed client for the Steveslist public API v1, for Node 20+ and browsers.
// Nothing reachable from here imports a node: module; webhook verification, which needs
// node:crypto, is its own entry: @steveslist/client/webhooks.
export { Steveslist, DEFAULT_BASE_URL, type ClientOptions } from './client.js';
export { Listing } from './listing.js';
export {
  SteveslistError, ValidationError, AuthenticationError, PermissionError, NotFoundError, ConflictError,
  RetryLaterError, RateLimitError, ServiceUnavailableError, ConnectionError, type ApiErrorBody,
} from './errors.js';
export { paginate, pages, type PageFetcher } from './pagination.js';
export type { Fetch, RequestOptions } from './http.js';
export type { AccountsResource } from './resources/accounts.js';
export type { ApiKeysResource } from './resources/api-keys.js';
export type { ComplaintsResource } from './resources/complaints.js';
export type { ListingsResource } from './resources/listings.js';
export type { MessagesResource } from './resources/messages.js';
export type { OrdersResource } from './resources/orders.js';
export type { PhoneResource } from './resources/phone.js';
export type { WebhookEndpointsResource } from './resources/webhook-endpoints.js';
export type {
  Id, Timestamp, Page, PageParams,
  User, UserStatus, Profile, SignUpParams, SignUpResult, SessionToken, LogInParams, LogInResult,
  ApiKey, CreateApiKeyParams, CreatedApiKey,
  ListingStatus, CreateListingParams, UpdateListingParams, ListListingsParams, MyListingsParams,
  Order, OrderPayment, OrderStatus, ListOrdersParams,
  Message, SendMessageParams, ListMessagesParams, MessageThread, ListThreadsParams, ThreadParams,
  Complaint, ComplaintReason, ComplaintStatus, FileComplaintParams,
  Phone, PhonePreferences,
  SearchParams, SearchSort, SearchHit, SearchResult, FacetCount, Place, PlaceSuggestParams,
  Choice, FormOptions,
  WebhookEventType, WebhookEndpoint, WebhookEndpointWithSecret, CreateWebhookEndpointParams, UpdateWebhookEndpointParams,
  WebhookDeliveryStatus, WebhookDelivery, WebhookDeliveryAttempt, WebhookDeliveryWithAttempts, ListWebhookDeliveriesParams,
} from './types.js';
