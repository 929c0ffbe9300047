import { DataTypes, Model, type Sequelize } from 'sequelize';

export type MailStatus = 'pending' | 'sending' | 'sent' | 'failed';

/** A row of the transactional mail outbox (written in the same transaction as its cause). */
export class MailMessage extends Model {
  declare id: string;
  declare clientId: string | null;
  declare toAddress: string;
  declare subject: string;
  declare textBody: string | null;
  declare htmlBody: string | null;
  declare headers: Record<string, string> | null;
  declare kind: string;
  /** Bodies of sensitive messages (links with tokens) are erased once delivered. */
  declare sensitive: boolean;
  declare status: MailStatus;
  declare attempts: number;
  declare nextAttemptAt: Date;
  declare lastError: string | null;
  declare transport: string | null;
  declare sentAt: Date | null;
  declare createdAt: Date;

  static initModel(sequelize: Sequelize): void {
    MailMessage.init(
      {
        id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
        clientId: { type: DataTypes.UUID },
        toAddress: { type: DataTypes.TEXT, allowNull: false },
        subject: { type: DataTypes.TEXT, allowNull: false },
        textBody: { type: DataTypes.TEXT },
        htmlBody: { type: DataTypes.TEXT },
        headers: { type: DataTypes.JSONB },
        kind: { type: DataTypes.TEXT, allowNull: false },
        sensitive: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
        status: { type: DataTypes.TEXT, allowNull: false, defaultValue: 'pending' },
        attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        nextAttemptAt: { type: DataTypes.DATE, allowNull: false, defaultValue: DataTypes.NOW },
        lastError: { type: DataTypes.TEXT },
        transport: { type: DataTypes.TEXT },
        sentAt: { type: DataTypes.DATE },
      },
      { sequelize, tableName: 'mail_outbox', underscored: true, updatedAt: false },
    );
  }
}
