import { DataTypes, Model, type Sequelize } from 'sequelize';

export const EVENT_STATUSES = ['open', 'closed', 'cancelled'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

/**
 * One dated occurrence of a Plan Item (DESIGN.md §5). Unique per (client, item, scheduled date),
 * so generation is idempotent; scheduledDate never changes (a trigger refuses it), dueDate may.
 * Dates (`DATEONLY`) are 'YYYY-MM-DD' strings in the facility's zone.
 */
export class Event extends Model {
  declare id: string;
  declare clientId: string;
  declare planItemId: string;
  /** The item's facility, copied (and kept equal by a foreign key) so scope needs no join. */
  declare facilityId: string;
  /** Snapshot of the item at generation. */
  declare activity: string;
  declare description: string | null;
  declare additionalInformation: string | null;
  declare scheduledDate: string;
  declare dueDate: string;
  declare assigneeId: string;
  declare status: EventStatus;
  declare completedOn: string | null;
  declare closedBy: string | null;
  declare closedAt: Date | null;
  declare closingNotes: string | null;
  declare cancelReason: string | null;
  /** Closed after the due date. */
  declare late: boolean;
  declare createdAt: Date;
  declare updatedAt: Date;

  static initModel(sequelize: Sequelize): void {
    Event.init(
      {
        id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
        clientId: { type: DataTypes.UUID, allowNull: false },
        planItemId: { type: DataTypes.UUID, allowNull: false },
        facilityId: { type: DataTypes.UUID, allowNull: false },
        activity: { type: DataTypes.TEXT, allowNull: false },
        description: { type: DataTypes.TEXT },
        additionalInformation: { type: DataTypes.TEXT },
        scheduledDate: { type: DataTypes.DATEONLY, allowNull: false },
        dueDate: { type: DataTypes.DATEONLY, allowNull: false },
        assigneeId: { type: DataTypes.UUID, allowNull: false },
        status: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'open' },
        completedOn: { type: DataTypes.DATEONLY },
        closedBy: { type: DataTypes.UUID },
        closedAt: { type: DataTypes.DATE },
        closingNotes: { type: DataTypes.TEXT },
        cancelReason: { type: DataTypes.TEXT },
        late: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      },
      { sequelize, tableName: 'events', underscored: true },
    );
  }
}
